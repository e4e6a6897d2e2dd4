// A protobuf wire-format pass over a serialized ModelProto that removes the raw_data of the
// top-level graph's initializers (ModelProto.graph=7 -> GraphProto.initializer=5 ->
// TensorProto.raw_data=9) and records where those bytes are. Parsing the stripped copy keeps
// weights out of protobuf strings: constants point at the recorded ranges of the mapped file.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace wrun::graph {

struct RawRange {
  uint64_t offset = 0;  // in the scanned bytes
  uint64_t length = 0;
  bool present = false;
};

struct StrippedModel {
  std::string bytes;             // the ModelProto without the initializers' raw_data fields
  std::vector<RawRange> ranges;  // one per top-level initializer, in parse order
};

// Fails (wrun::Error) naming the byte offset if the wire data is truncated or malformed.
StrippedModel strip_initializer_data(std::string_view model);

}  // namespace wrun::graph
