// Proves Debian's libvpx really encodes and decodes VP8: a moving gradient
// goes through the encoder and decoder and comes back with good fidelity.

#include <vpx/vp8cx.h>
#include <vpx/vp8dx.h>
#include <vpx/vpx_decoder.h>
#include <vpx/vpx_encoder.h>
#include <vpx/vpx_image.h>

#include <cmath>
#include <cstdint>
#include <vector>

#include "gtest/gtest.h"

namespace rtcsim {
namespace {

constexpr int kWidth = 320;
constexpr int kHeight = 240;
constexpr int kFrames = 10;

// Synthetic content: a diagonal luma gradient that shifts 4 pixels per frame
// (so inter frames carry real motion) over flat chroma.
void FillFrame(vpx_image_t* image, int frame) {
  for (int y = 0; y < kHeight; ++y) {
    uint8_t* row = image->planes[VPX_PLANE_Y] + y * image->stride[VPX_PLANE_Y];
    for (int x = 0; x < kWidth; ++x) row[x] = (x + y + 4 * frame) & 0xff;
  }
  for (int plane : {VPX_PLANE_U, VPX_PLANE_V}) {
    for (int y = 0; y < (kHeight + 1) / 2; ++y) {
      uint8_t* row = image->planes[plane] + y * image->stride[plane];
      for (int x = 0; x < (kWidth + 1) / 2; ++x) {
        row[x] = plane == VPX_PLANE_U ? 96 : 160;
      }
    }
  }
}

double LumaPsnr(const vpx_image_t& a, const vpx_image_t& b) {
  double squared_error = 0.0;
  for (int y = 0; y < kHeight; ++y) {
    const uint8_t* ra = a.planes[VPX_PLANE_Y] + y * a.stride[VPX_PLANE_Y];
    const uint8_t* rb = b.planes[VPX_PLANE_Y] + y * b.stride[VPX_PLANE_Y];
    for (int x = 0; x < kWidth; ++x) {
      const double d = static_cast<double>(ra[x]) - rb[x];
      squared_error += d * d;
    }
  }
  const double mse = squared_error / (kWidth * kHeight);
  if (mse == 0.0) return 99.0;
  return 10.0 * std::log10(255.0 * 255.0 / mse);
}

TEST(Vpx, Vp8EncodeDecodeRoundTrip) {
  vpx_codec_enc_cfg_t config;
  ASSERT_EQ(vpx_codec_enc_config_default(vpx_codec_vp8_cx(), &config, 0), VPX_CODEC_OK);
  config.g_w = kWidth;
  config.g_h = kHeight;
  config.g_timebase = {1, 30};
  config.g_threads = 1;        // Deterministic output.
  config.g_lag_in_frames = 0;  // One packet out per frame in.
  config.rc_end_usage = VPX_CBR;
  config.rc_target_bitrate = 1500;   // kbit/s, generous for 320x240.
  config.kf_mode = VPX_KF_DISABLED;  // Only the forced first keyframe.

  vpx_codec_ctx_t encoder;
  ASSERT_EQ(vpx_codec_enc_init(&encoder, vpx_codec_vp8_cx(), &config, 0), VPX_CODEC_OK);
  // With a positive cpu-used, VP8's realtime mode measures wall-clock encode
  // time and adapts its speed to it; a negative value pins the speed level so
  // the bitstream does not depend on how fast the machine is.
  ASSERT_EQ(vpx_codec_control(&encoder, VP8E_SET_CPUUSED, -6), VPX_CODEC_OK);

  vpx_codec_ctx_t decoder;
  ASSERT_EQ(vpx_codec_dec_init(&decoder, vpx_codec_vp8_dx(), nullptr, 0), VPX_CODEC_OK);

  vpx_image_t input;
  ASSERT_NE(vpx_img_alloc(&input, VPX_IMG_FMT_I420, kWidth, kHeight, 16), nullptr);

  int packets = 0;
  int decoded_frames = 0;
  for (int frame = 0; frame < kFrames; ++frame) {
    FillFrame(&input, frame);
    ASSERT_EQ(vpx_codec_encode(&encoder, &input, frame, 1, 0, VPX_DL_REALTIME), VPX_CODEC_OK)
        << vpx_codec_error_detail(&encoder);

    vpx_codec_iter_t iter = nullptr;
    const vpx_codec_cx_pkt_t* packet;
    while ((packet = vpx_codec_get_cx_data(&encoder, &iter)) != nullptr) {
      if (packet->kind != VPX_CODEC_CX_FRAME_PKT) continue;
      const bool keyframe = packet->data.frame.flags & VPX_FRAME_IS_KEY;
      EXPECT_EQ(keyframe, packets == 0) << "packet " << packets;
      ++packets;

      ASSERT_EQ(vpx_codec_decode(&decoder, static_cast<const uint8_t*>(packet->data.frame.buf),
                                 packet->data.frame.sz, nullptr, 0),
                VPX_CODEC_OK)
          << vpx_codec_error_detail(&decoder);
      vpx_codec_iter_t dec_iter = nullptr;
      const vpx_image_t* output;
      while ((output = vpx_codec_get_frame(&decoder, &dec_iter)) != nullptr) {
        ASSERT_EQ(output->d_w, static_cast<unsigned>(kWidth));
        ASSERT_EQ(output->d_h, static_cast<unsigned>(kHeight));
        // With no lag, decoded frame N is input frame N, still in `input`.
        const double psnr = LumaPsnr(input, *output);
        EXPECT_GT(psnr, 30.0) << "frame " << decoded_frames;
        ++decoded_frames;
      }
    }
  }
  EXPECT_EQ(packets, kFrames);
  EXPECT_EQ(decoded_frames, kFrames);

  vpx_img_free(&input);
  EXPECT_EQ(vpx_codec_destroy(&encoder), VPX_CODEC_OK);
  EXPECT_EQ(vpx_codec_destroy(&decoder), VPX_CODEC_OK);
}

}  // namespace
}  // namespace rtcsim
