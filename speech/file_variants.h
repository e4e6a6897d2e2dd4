// Model file variants in a folder: BASE.onnx is the unsuffixed one, BASE_NAME.onnx the variant
// NAME (fp16, quantized, ...). Shared by Whisper export folders and CTC model folders.
#pragma once
#include <string>
#include <vector>

namespace wrun::speech {

// The variants present in dir for any of `bases` ("" for unsuffixed), sorted, without repeats.
// Bases that are prefixes of others must come after them.
std::vector<std::string> file_variants(const std::string& dir,
                                       const std::vector<std::string>& bases);

// "a, b, (unsuffixed)" for one-line errors.
std::string variant_list(const std::vector<std::string>& variants);

// Checks a --variant value names a file suffix (no '/', no control characters).
void check_variant_name(const std::string& variant);

}  // namespace wrun::speech
