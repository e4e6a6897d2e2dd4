#include "graph/onnx_tensor.h"

#include <charconv>
#include <climits>
#include <cstdlib>

#include "graph/error.h"

namespace wrun::graph {
namespace {

std::shared_ptr<Constant> make_constant(DType dt, const Shape& s, const void* data, size_t nbytes,
                                        std::shared_ptr<const void> owner, Constant::Source src) {
  auto c = std::make_shared<Constant>();
  c->dtype = dt;
  c->shape = s;
  c->data = data;
  c->nbytes = nbytes;
  c->owner = std::move(owner);
  c->source = src;
  return c;
}

// Copies a typed repeated field, checking its length against the shape before allocating.
template <class Dst, class Field>
std::shared_ptr<Constant> from_field(DType dt, const Shape& s, int64_t numel, const Field& f,
                                     std::string_view what, std::string_view field) {
  WRUN_CHECK(f.size() == numel, what, " (", dtype_name(dt), " ", s.str(), ") has ", f.size(),
             " values in ", field, " but its shape needs ", numel);
  auto c = Constant::allocate(dt, s);
  auto* d = static_cast<Dst*>(c->mutable_data());
  for (int64_t i = 0; i < numel; ++i) {
    if (dt == DType::kBool)
      d[i] = static_cast<Dst>(f.Get(static_cast<int>(i)) != 0);
    else
      d[i] = static_cast<Dst>(f.Get(static_cast<int>(i)));  // int32_data holds 8/16-bit patterns
  }
  c->source = Constant::Source::kEmbedded;
  return c;
}

std::shared_ptr<Constant> from_typed(const onnx::TensorProto& t, DType dt, const Shape& s,
                                     int64_t numel, std::string_view what) {
  switch (dt) {
    case DType::kF32:
      return from_field<float>(dt, s, numel, t.float_data(), what, "float_data");
    case DType::kF64:
      return from_field<double>(dt, s, numel, t.double_data(), what, "double_data");
    case DType::kI64:
      return from_field<int64_t>(dt, s, numel, t.int64_data(), what, "int64_data");
    case DType::kI32:
      return from_field<int32_t>(dt, s, numel, t.int32_data(), what, "int32_data");
    case DType::kI16:
      return from_field<int16_t>(dt, s, numel, t.int32_data(), what, "int32_data");
    case DType::kI8:
      return from_field<int8_t>(dt, s, numel, t.int32_data(), what, "int32_data");
    case DType::kU8:
    case DType::kBool:
      return from_field<uint8_t>(dt, s, numel, t.int32_data(), what, "int32_data");
    case DType::kU16:
    case DType::kF16:
    case DType::kBF16:
      return from_field<uint16_t>(dt, s, numel, t.int32_data(), what, "int32_data");
    case DType::kU32:
      return from_field<uint32_t>(dt, s, numel, t.uint64_data(), what, "uint64_data");
    case DType::kU64:
      return from_field<uint64_t>(dt, s, numel, t.uint64_data(), what, "uint64_data");
    default:
      fail(what, " has unsupported data type ", dtype_name(dt));
  }
}

uint64_t parse_u64(const std::string& v, std::string_view what, std::string_view key) {
  uint64_t r = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), r);
  WRUN_CHECK(ec == std::errc() && p == v.data() + v.size() && !v.empty(), what, ": external data ",
             key, " '", v, "' is not a non-negative integer");
  return r;
}

std::string real_path(const std::string& p) {
  char buf[PATH_MAX];
  if (!realpath(p.c_str(), buf)) return {};
  return buf;
}

std::shared_ptr<Constant> from_external(const onnx::TensorProto& t, DType dt, const Shape& s,
                                        size_t nbytes, std::string_view what, TensorContext& ctx) {
  std::string location;
  uint64_t offset = 0, length = 0;
  bool has_length = false;
  for (const auto& kv : t.external_data()) {
    if (kv.key() == "location") {
      location = kv.value();
    } else if (kv.key() == "offset") {
      offset = parse_u64(kv.value(), what, "offset");
    } else if (kv.key() == "length") {
      length = parse_u64(kv.value(), what, "length");
      has_length = true;
    }
  }
  WRUN_CHECK(!location.empty(), what, " has external data without a location");
  WRUN_CHECK(!ctx.dir.empty(), what, " uses external data file '", location,
             "' but the model has no folder to resolve it in");
  WRUN_CHECK(location.front() != '/', what, ": external data path '", location,
             "' is absolute; it must be relative to the model's folder");
  for (size_t b = 0; b <= location.size();) {
    size_t e = location.find('/', b);
    if (e == std::string::npos) e = location.size();
    WRUN_CHECK(location.compare(b, e - b, "..") != 0, what, ": external data path '", location,
               "' escapes the model's folder");
    b = e + 1;
  }
  if (ctx.real_dir.empty()) {
    ctx.real_dir = real_path(ctx.dir);
    WRUN_CHECK(!ctx.real_dir.empty(), "model folder '", ctx.dir, "' does not exist");
  }
  std::string real = real_path(ctx.dir + "/" + location);
  WRUN_CHECK(!real.empty(), what, ": external data file '", location, "' not found in '", ctx.dir,
             "'");
  const std::string& base = ctx.real_dir;
  WRUN_CHECK(real.size() > base.size() && real.compare(0, base.size(), base) == 0 &&
                 (base == "/" || real[base.size()] == '/'),
             what, ": external data path '", location, "' resolves to '", real,
             "', outside the model's folder");
  auto& file = ctx.files[real];
  if (!file) file = MappedFile::open(real, ctx.limits.max_bytes);
  const uint64_t size = file->size();
  const uint64_t avail = offset <= size ? size - offset : 0;
  WRUN_CHECK(offset <= size && (!has_length || length <= avail), what, ": external data (offset ",
             offset, ", length ", (has_length ? std::to_string(length) : "unset"),
             ") lies outside '", location, "' (", size, " bytes)");
  WRUN_CHECK(!has_length || length == nbytes, what, " (", dtype_name(dt), " ", s.str(), ") needs ",
             nbytes, " bytes but its external data length is ", length);
  WRUN_CHECK(nbytes <= avail, what, " needs ", nbytes, " bytes at offset ", offset, " of '",
             location, "', which has ", size, " bytes");
  const void* data = file->data() ? file->data() + offset : nullptr;
  return make_constant(dt, s, data, nbytes, file, Constant::Source::kExternal);
}

}  // namespace

std::shared_ptr<Constant> tensor_from_onnx(onnx::TensorProto& t, std::string_view what,
                                           TensorContext& ctx, const MappedRaw* raw) {
  WRUN_CHECK(t.data_type() != onnx::TensorProto::STRING, what,
             " is a string tensor, which wrun does not support");
  const DType dt = dtype_from_onnx(t.data_type());
  WRUN_CHECK(dt != DType::kUndefined, what, " has unsupported data type ", t.data_type());
  WRUN_CHECK(t.dims_size() <= kMaxRank, what, " has rank ", t.dims_size(), ", above ", kMaxRank);
  Shape s;
  int64_t numel = 1;
  for (int64_t d : t.dims()) {
    WRUN_CHECK(d >= 0, what, " has negative dimension ", d);
    WRUN_CHECK(!__builtin_mul_overflow(numel, d, &numel), what,
               " has dims whose product overflows");
    s.push(d);
  }
  int64_t nbytes_i;
  WRUN_CHECK(!__builtin_mul_overflow(numel, static_cast<int64_t>(dtype_size(dt)), &nbytes_i), what,
             " has dims whose byte size overflows");
  const auto nbytes = static_cast<size_t>(nbytes_i);
  WRUN_CHECK(!ctx.limits.max_bytes || nbytes <= ctx.limits.max_bytes, what, " has ", nbytes,
             " bytes, above the limit of ", ctx.limits.max_bytes);

  if (t.data_location() == onnx::TensorProto::EXTERNAL)
    return from_external(t, dt, s, nbytes, what, ctx);
  auto check_raw = [&](uint64_t n) {
    WRUN_CHECK(n == nbytes, what, " (", dtype_name(dt), " ", s.str(), ") needs ", nbytes,
               " bytes but raw_data has ", n);
  };
  if (raw && raw->range.present) {
    check_raw(raw->range.length);
    WRUN_CHECK(raw->range.offset <= raw->file->size() &&
                   raw->range.length <= raw->file->size() - raw->range.offset,
               what, ": raw_data lies outside the model");
    return make_constant(dt, s, raw->file->data() + raw->range.offset, nbytes, raw->file,
                         Constant::Source::kEmbedded);
  }
  if (t.has_raw_data()) {
    check_raw(t.raw_data().size());
    // Moves the bytes out of the proto, so they exist once.
    auto str = std::make_shared<std::string>(std::move(*t.mutable_raw_data()));
    t.clear_raw_data();
    const void* data = str->data();
    return make_constant(dt, s, data, nbytes, std::move(str), Constant::Source::kEmbedded);
  }
  return from_typed(t, dt, s, numel, what);
}

void tensor_to_onnx(const Constant& c, onnx::TensorProto& t) {
  t.set_data_type(dtype_to_onnx(c.dtype));
  for (int i = 0; i < c.shape.rank; ++i) t.add_dims(c.shape[i]);
  const size_t n = checked_bytes(c.shape, dtype_size(c.dtype));
  WRUN_CHECK(n <= c.nbytes, "constant ", dtype_name(c.dtype), " ", c.shape.str(), " holds ",
             c.nbytes, " bytes but needs ", n);
  t.set_raw_data(c.data, n);
}

}  // namespace wrun::graph
