#include "graph/widen_fp16.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cstring>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "graph/error.h"
#include "graph/mapped_file.h"

namespace wrun::graph {
namespace {

// Standard ops whose attribute names an output element type (ONNX TensorProto.DataType code).
struct DTypeAttr {
  std::string_view op, attr;
};
constexpr DTypeAttr kDTypeAttrs[] = {
    {"Cast", "to"},
    {"EyeLike", "dtype"},
    {"RandomNormal", "dtype"},
    {"RandomUniform", "dtype"},
    {"RandomNormalLike", "dtype"},
    {"RandomUniformLike", "dtype"},
    {"Bernoulli", "dtype"},
    {"SequenceEmpty", "dtype"},
    {"DequantizeLinear", "output_dtype"},
};

bool standard_domain(const Node& n) { return n.domain.empty() || n.domain == "ai.onnx"; }

std::string node_label(const Node& n) {
  return "node '" + n.name + "' (" + (n.domain.empty() ? "" : n.domain + ".") + n.op_type + ")";
}

struct Widener {
  WidenReport report;
  // Original -> widened, keeping the original alive so that its address is not reused.
  std::unordered_map<const Constant*,
                     std::pair<std::shared_ptr<Constant>, std::shared_ptr<Constant>>>
      done;
  const long page = sysconf(_SC_PAGE_SIZE);

  static bool is_f16(const std::shared_ptr<Constant>& c) { return c && c->dtype == DType::kF16; }

  // Gives back the pages of a mapped model file that held only this constant's bytes (they
  // are re-read from the file if anything touches them again; an anonymous mapping, from
  // Model::load_bytes, would read back zeros, so it keeps its pages).
  void release_pages(const Constant& c) const {
    const MappedFile* f = MappedFile::of(c.owner);
    if (!f || f->path().empty() || page <= 0) return;
    const auto lo = (reinterpret_cast<uintptr_t>(c.data) + page - 1) / page * page;
    const auto hi = (reinterpret_cast<uintptr_t>(c.data) + c.nbytes) / page * page;
    if (hi > lo) madvise(reinterpret_cast<void*>(lo), hi - lo, MADV_DONTNEED);
  }

  std::shared_ptr<Constant> widen(const std::shared_ptr<Constant>& c) {
    if (auto it = done.find(c.get()); it != done.end()) return it->second.second;
    auto w = Constant::allocate(DType::kF32, c->shape);
    const auto* src = static_cast<const unsigned char*>(c->data);
    auto* dst = static_cast<float*>(w->mutable_data());
    const int64_t n = c->shape.numel();
    WRUN_CHECK(c->nbytes >= static_cast<size_t>(n) * 2, "float16 constant of ", n,
               " elements holds only ", c->nbytes, " bytes");
    for (int64_t i = 0; i < n; ++i) {
      uint16_t h;
      std::memcpy(&h, src + 2 * i, 2);  // constants may be unaligned
      dst[i] = f16_to_f32(h);
    }
    release_pages(*c);
    ++report.constants;
    done.emplace(c.get(), std::make_pair(c, w));
    return w;
  }

  // A node outside the ONNX domains has semantics wrun cannot know: it must not see float16.
  void check_foreign(const Graph& g, const Node& n) const {
    if (standard_domain(n)) return;
    auto f16_value = [&](int v) { return v >= 0 && g.values[v].dtype == DType::kF16; };
    bool f16 = false;
    for (int v : n.inputs) f16 |= f16_value(v);
    for (int v : n.outputs) f16 |= f16_value(v);
    for (const auto& [k, a] : n.attrs) {
      f16 |= is_f16(a.t);
      for (const auto& t : a.tensors) f16 |= is_f16(t);
    }
    if (f16)
      fail("cannot widen float16 to float32: ", node_label(n),
           " is not an ONNX-domain op and takes, makes or holds float16");
  }

  void widen_node(Node& n) {
    for (auto& [key, a] : n.attrs) {
      if (is_f16(a.t)) a.t = widen(a.t);
      for (auto& t : a.tensors)
        if (is_f16(t)) t = widen(t);
      if (a.g) walk(*a.g);
      for (auto& sg : a.graphs) walk(*sg);
    }
    if (!standard_domain(n)) return;
    for (const auto& d : kDTypeAttrs) {
      if (n.op_type != d.op) continue;
      auto it = n.attrs.find(d.attr);
      if (it != n.attrs.end() && it->second.kind == Attribute::Kind::kInt &&
          it->second.i == dtype_to_onnx(DType::kF16)) {
        it->second.i = dtype_to_onnx(DType::kF32);
        ++report.dtype_attrs;
      }
    }
  }

  void walk(Graph& g) {
    for (const auto& n : g.nodes) check_foreign(g, n);
    for (auto& n : g.nodes) widen_node(n);
    for (auto& v : g.values) {
      if (is_f16(v.constant)) v.constant = widen(v.constant);
      if (v.dtype == DType::kF16) {
        v.dtype = DType::kF32;
        ++report.values;
      }
    }
  }
};

}  // namespace

WidenReport widen_fp16(Model& m) {
  Widener w;
  if (m.graph) w.walk(*m.graph);
  return w.report;
}

}  // namespace wrun::graph
