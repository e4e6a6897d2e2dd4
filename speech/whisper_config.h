// A Whisper model folder as exporters write it (Hugging Face Optimum layout): which ONNX files
// it holds, and every setting decoding needs, read from its config files, never from constants.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "speech/tokenizer.h"

namespace wrun::speech {

struct WhisperConfig {
  std::string dir;
  // The file variant: "" for encoder_model.onnx etc., NAME for encoder_model_NAME.onnx etc.
  // (Optimum's "quantized"; transformers.js' "fp16", "int8", "uint8", "q4", ...). Whether a
  // model is float16 is seen from its dtypes, not its name (the loader widens it to float32).
  std::string variant;
  // ONNX files (full paths; empty when absent): encoder, and either decoder + decoder_with_past,
  // or the merged decoder.
  std::string encoder, decoder, decoder_with_past, decoder_merged;
  bool use_merged = false;  // the merged decoder when the folder has it, unless chosen otherwise
  bool merged() const { return use_merged; }
  // "split", "merged" or "auto"; fails naming the missing file.
  void choose_decoder(const std::string& which);
  // File name of a model of this variant: file_name("encoder_model") = "encoder_model_NAME.onnx".
  std::string file_name(const std::string& base) const;

  // Front end (preprocessor_config.json).
  int sample_rate = 16000, n_fft = 400, hop_length = 160, n_mels = 80;
  int n_frames = 3000;  // mel frames per window (nb_max_frames)
  // Model (config.json).
  int n_audio_ctx = 1500;  // encoder positions per window (max_source_positions)
  int n_text_ctx = 448;    // decoder positions (max_target_positions)
  int vocab_size = 0, d_model = 0, decoder_layers = 0, decoder_heads = 0;
  // Tokens (generation_config.json, then config.json).
  int eot = -1, sot = -1, no_timestamps = -1, timestamp_begin = -1;
  int transcribe = -1, translate = -1;  // -1 when the model has no such task token
  int sot_prev = -1, no_speech = -1;    // from the tokenizer when present
  std::vector<int> suppress_tokens, begin_suppress_tokens;
  std::map<std::string, int> languages;  // "en" -> id of <|en|>
  bool multilingual = false;
  int max_initial_timestamp_index = 50;

  double seconds_per_window() const { return double(n_frames) * hop_length / sample_rate; }
  // Seconds per timestamp token: two mel frames per encoder position.
  double time_precision() const {
    return double(n_frames) / n_audio_ctx * hop_length / sample_rate;
  }
  int n_samples() const { return n_frames * hop_length; }
  bool is_timestamp(int id) const { return id >= timestamp_begin; }
};

// Reads the folder and its tokenizer (into *tok); errors name the file and the key that is
// missing or inconsistent. `variant` picks the ONNX files: "fp32" (or "") the unsuffixed ones,
// NAME the files ending in _NAME.onnx; "auto" takes the unsuffixed files if present, else the
// one suffixed variant the folder holds, and fails listing them if it holds several.
WhisperConfig load_whisper_config(const std::string& dir, Tokenizer* tok,
                                  const std::string& variant = "auto");
// The variants of Whisper ONNX files in a folder ("" for the unsuffixed files), sorted.
std::vector<std::string> whisper_variants(const std::string& dir);

}  // namespace wrun::speech
