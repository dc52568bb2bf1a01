// Proves Debian's libopus really encodes and decodes audio: a 440 Hz tone
// must survive the round trip with its energy and its pitch intact.

#include <opus/opus.h>

#include <cmath>
#include <cstdint>
#include <numbers>
#include <vector>

#include "gtest/gtest.h"

namespace rtcsim {
namespace {

constexpr int kSampleRateHz = 48000;
constexpr int kFrameSamples = kSampleRateHz / 50;  // 20 ms, mono.
constexpr int kFrames = 50;                        // 1 s of audio.
constexpr double kToneHz = 440.0;
constexpr double kAmplitude = 8000.0;

// Signal power at `frequency_hz` over `samples` (Goertzel algorithm). Picking
// a window of whole tone periods keeps the tone exactly on its bin.
double GoertzelPower(const std::vector<double>& samples, double frequency_hz) {
  const double coeff = 2.0 * std::cos(2.0 * std::numbers::pi * frequency_hz / kSampleRateHz);
  double s1 = 0.0;
  double s2 = 0.0;
  for (double x : samples) {
    const double s0 = x + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  return s1 * s1 + s2 * s2 - coeff * s1 * s2;
}

double Energy(const std::vector<double>& samples) {
  double energy = 0.0;
  for (double x : samples) energy += x * x;
  return energy;
}

TEST(Opus, SineSurvivesVoipRoundTrip) {
  int error = OPUS_OK;
  OpusEncoder* encoder = opus_encoder_create(kSampleRateHz, 1, OPUS_APPLICATION_VOIP, &error);
  ASSERT_EQ(error, OPUS_OK);
  ASSERT_NE(encoder, nullptr);
  OpusDecoder* decoder = opus_decoder_create(kSampleRateHz, 1, &error);
  ASSERT_EQ(error, OPUS_OK);
  ASSERT_NE(decoder, nullptr);

  // A fixed bitrate and complexity make the output independent of defaults
  // that could change between library builds.
  ASSERT_EQ(opus_encoder_ctl(encoder, OPUS_SET_BITRATE(32000)), OPUS_OK);
  ASSERT_EQ(opus_encoder_ctl(encoder, OPUS_SET_COMPLEXITY(5)), OPUS_OK);
  opus_int32 lookahead = 0;
  ASSERT_EQ(opus_encoder_ctl(encoder, OPUS_GET_LOOKAHEAD(&lookahead)), OPUS_OK);

  std::vector<double> input;
  std::vector<double> output;
  for (int frame = 0; frame < kFrames; ++frame) {
    std::vector<opus_int16> pcm(kFrameSamples);
    for (int i = 0; i < kFrameSamples; ++i) {
      const int n = frame * kFrameSamples + i;
      pcm[i] = static_cast<opus_int16>(
          std::lround(kAmplitude * std::sin(2.0 * std::numbers::pi * kToneHz * n / kSampleRateHz)));
      input.push_back(pcm[i]);
    }
    unsigned char packet[1500];
    const int bytes = opus_encode(encoder, pcm.data(), kFrameSamples, packet, sizeof(packet));
    ASSERT_GT(bytes, 0) << opus_strerror(bytes);

    std::vector<opus_int16> decoded(kFrameSamples);
    const int samples =
        opus_decode(decoder, packet, bytes, decoded.data(), kFrameSamples, /*decode_fec=*/0);
    ASSERT_EQ(samples, kFrameSamples) << opus_strerror(samples);
    output.insert(output.end(), decoded.begin(), decoded.end());
  }
  opus_encoder_destroy(encoder);
  opus_decoder_destroy(decoder);

  // Compare the last 0.5 s (220 whole periods of 440 Hz), skipping the
  // warm-up; the decoder output lags the input by the encoder lookahead.
  constexpr int kWindow = kSampleRateHz / 2;
  const int out_begin = output.size() - kWindow;
  const int in_begin = out_begin - lookahead;
  const std::vector<double> in(input.begin() + in_begin, input.begin() + in_begin + kWindow);
  const std::vector<double> out(output.begin() + out_begin, output.end());

  // Energy is preserved within a factor of ~1.25 (about 1 dB).
  const double energy_ratio = Energy(out) / Energy(in);
  EXPECT_GT(energy_ratio, 0.8);
  EXPECT_LT(energy_ratio, 1.25);

  // The tone dominates: most of the output's energy sits in the 440 Hz bin
  // (for a pure tone over whole periods, power = (N * A / 2)^2 and energy =
  // N * A^2 / 2, so the ratio below is 1 for a perfect sine) and it towers
  // over neighbouring and harmonic frequencies.
  const double tone_power = GoertzelPower(out, kToneHz);
  const double tone_fraction = tone_power / (Energy(out) * kWindow / 2.0);
  EXPECT_GT(tone_fraction, 0.9);
  for (double other_hz : {220.0, 400.0, 480.0, 880.0, 1320.0, 3000.0}) {
    EXPECT_GT(tone_power, 1000.0 * GoertzelPower(out, other_hz)) << "at " << other_hz << " Hz";
  }

  // Waveform match at the codec delay: normalised cross-correlation (about
  // 0.93 with Debian's libopus 1.3.1; unrelated signals give about 0).
  double dot = 0.0;
  for (int i = 0; i < kWindow; ++i) dot += in[i] * out[i];
  const double correlation = dot / std::sqrt(Energy(in) * Energy(out));
  EXPECT_GT(correlation, 0.85) << "lookahead " << lookahead;
}

}  // namespace
}  // namespace rtcsim
