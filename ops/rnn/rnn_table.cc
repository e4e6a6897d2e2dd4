// The rnn family's rows. Opset 14 added `layout` (batch-major X, Y and states); the recurrences
// are otherwise the same from opset 7.
#include "ops/registry.h"
#include "ops/rnn/rnn.h"

namespace wrun::ops {
namespace {

using namespace rnn;  // NOLINT(build/namespaces): the table names every function

constexpr KernelImpl kLstm[] = {{"reference", supports, lstm_prepare, lstm_run, kNone}};
constexpr KernelImpl kGru[] = {{"reference", supports, gru_prepare, gru_run, kNone}};
constexpr KernelImpl kRnn[] = {{"reference", supports, rnn_prepare, rnn_run, kNone}};

constexpr std::string_view kNotes = "float32/float64; state kept in double";

const OpSchema kSchemas[] = {
    {"LSTM", "", 7, 13, lstm_infer, kLstm, kNotes},
    {"LSTM", "", 14, kLatestOpset, lstm_infer, kLstm, kNotes},
    {"GRU", "", 7, 13, gru_infer, kGru, kNotes},
    {"GRU", "", 14, kLatestOpset, gru_infer, kGru, kNotes},
    {"RNN", "", 7, 13, rnn_infer, kRnn, kNotes},
    {"RNN", "", 14, kLatestOpset, rnn_infer, kRnn, kNotes},
};

}  // namespace

std::span<const OpSchema> rnn_schemas() { return kSchemas; }

}  // namespace wrun::ops
