#include "runtime/npy.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "graph/error.h"

namespace wrun {
namespace {

namespace fs = std::filesystem;

fs::path tmp_dir(const std::string& sub) {
  fs::path p = fs::path(WRUN_BINARY_DIR) / "npy_test_tmp" / sub;
  fs::remove_all(p);
  fs::create_directories(p);
  return p;
}

struct Case {
  const char* descr;  // numpy's spelling
  DType dtype;
};
const Case kCases[] = {
    {"<f4", DType::kF32}, {"<f8", DType::kF64}, {"<f2", DType::kF16}, {"|i1", DType::kI8},
    {"|u1", DType::kU8},  {"<i2", DType::kI16}, {"<u2", DType::kU16}, {"<i4", DType::kI32},
    {"<u4", DType::kU32}, {"<i8", DType::kI64}, {"<u8", DType::kU64}, {"|b1", DType::kBool},
};
const Shape kShapes[] = {Shape{2, 3}, Shape{}, Shape{0}, Shape{3, 0, 2}, Shape{5}};

template <class T>
void fill_pattern(std::vector<uint8_t>& out, int64_t n, bool is_unsigned) {
  out.resize(static_cast<size_t>(n) * sizeof(T));
  for (int64_t k = 0; k < n; ++k) {
    T v = static_cast<T>(is_unsigned ? k % 7 : k % 7 - 3);
    std::memcpy(out.data() + k * sizeof(T), &v, sizeof(T));
  }
}

// The bytes of numpy's (arange(n) % 7 - 3).astype(dtype) (no "- 3" for unsigned types,
// "!= 0" for bool), which the numpy side of the tests also builds.
std::vector<uint8_t> pattern(DType t, int64_t n) {
  std::vector<uint8_t> out;
  switch (t) {
    case DType::kF32:
      fill_pattern<float>(out, n, false);
      break;
    case DType::kF64:
      fill_pattern<double>(out, n, false);
      break;
    case DType::kI8:
      fill_pattern<int8_t>(out, n, false);
      break;
    case DType::kU8:
      fill_pattern<uint8_t>(out, n, true);
      break;
    case DType::kI16:
      fill_pattern<int16_t>(out, n, false);
      break;
    case DType::kU16:
      fill_pattern<uint16_t>(out, n, true);
      break;
    case DType::kI32:
      fill_pattern<int32_t>(out, n, false);
      break;
    case DType::kU32:
      fill_pattern<uint32_t>(out, n, true);
      break;
    case DType::kI64:
      fill_pattern<int64_t>(out, n, false);
      break;
    case DType::kU64:
      fill_pattern<uint64_t>(out, n, true);
      break;
    case DType::kBool:
      out.resize(static_cast<size_t>(n));
      for (int64_t k = 0; k < n; ++k) out[k] = k % 7 != 0;
      break;
    case DType::kF16:
      out.resize(static_cast<size_t>(n) * 2);
      for (int64_t k = 0; k < n; ++k) {
        uint16_t h = f32_to_f16(static_cast<float>(k % 7 - 3));
        std::memcpy(out.data() + k * 2, &h, 2);
      }
      break;
    default:
      ADD_FAILURE() << "no pattern for " << dtype_name(t);
  }
  return out;
}

std::string shape_name(const Shape& s) {
  std::string r = "s";
  for (int i = 0; i < s.rank; ++i) {
    r += '_';  // appended separately: "_" + to_string trips GCC 12's -Wrestrict at -O3
    r += std::to_string(s.d[i]);
  }
  return r;
}

TEST(Npy, RoundTripEveryDType) {
  fs::path dir = tmp_dir("roundtrip");
  for (const Case& c : kCases) {
    for (const Shape& s : kShapes) {
      std::vector<uint8_t> data = pattern(c.dtype, s.numel());
      std::string path = (dir / (std::string(dtype_name(c.dtype)) + shape_name(s) + ".npy"));
      write_npy(path, make_view(data.data(), c.dtype, s));
      // Data starts 64-byte aligned, as numpy writes it.
      EXPECT_EQ((fs::file_size(path) - data.size()) % 64, 0u) << path;
      NpyArray a = read_npy(path);
      EXPECT_EQ(a.dtype, c.dtype) << path;
      EXPECT_EQ(a.shape, s) << path;
      EXPECT_EQ(a.data, data) << path;
    }
  }
}

TEST(Npy, StridedWrite) {
  fs::path dir = tmp_dir("strided");
  std::vector<float> base(24);
  for (int i = 0; i < 24; ++i) base[i] = static_cast<float>(i);
  TensorView full = make_view(base.data(), DType::kF32, Shape{4, 6});

  // Every other column.
  TensorView cols = full;
  cols.shape = Shape{4, 3};
  cols.strides[0] = 6;
  cols.strides[1] = 2;
  write_npy((dir / "cols.npy").string(), cols);
  NpyArray a = read_npy((dir / "cols.npy").string());
  ASSERT_EQ(a.shape, (Shape{4, 3}));
  const float* p = reinterpret_cast<const float*>(a.data.data());
  for (int r = 0; r < 4; ++r)
    for (int c = 0; c < 3; ++c) EXPECT_EQ(p[r * 3 + c], base[r * 6 + c * 2]);

  // Transposed.
  TensorView tr = full;
  tr.shape = Shape{6, 4};
  tr.strides[0] = 1;
  tr.strides[1] = 6;
  write_npy((dir / "tr.npy").string(), tr);
  a = read_npy((dir / "tr.npy").string());
  p = reinterpret_cast<const float*>(a.data.data());
  for (int r = 0; r < 6; ++r)
    for (int c = 0; c < 4; ++c) EXPECT_EQ(p[r * 4 + c], base[c * 6 + r]);

  // A KV-cache-like view: [2, 3 of capacity 5, 2] and a broadcast (stride 0) axis.
  TensorView kv = make_view(base.data(), DType::kF32, Shape{2, 3, 2});
  kv.strides[0] = 10;
  kv.strides[1] = 2;
  kv.strides[2] = 1;
  write_npy((dir / "kv.npy").string(), kv);
  a = read_npy((dir / "kv.npy").string());
  p = reinterpret_cast<const float*>(a.data.data());
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 3; ++j)
      for (int k = 0; k < 2; ++k) EXPECT_EQ(p[(i * 3 + j) * 2 + k], base[i * 10 + j * 2 + k]);

  TensorView bc = make_view(base.data(), DType::kF32, Shape{3, 4});
  bc.strides[0] = 0;
  write_npy((dir / "bc.npy").string(), bc);
  a = read_npy((dir / "bc.npy").string());
  p = reinterpret_cast<const float*>(a.data.data());
  for (int i = 0; i < 12; ++i) EXPECT_EQ(p[i], base[i % 4]);
}

TEST(Npy, WriteRejectsUnsupported) {
  fs::path dir = tmp_dir("unsupported");
  uint16_t x = 0;
  EXPECT_THROW(write_npy((dir / "bf.npy").string(), make_view(&x, DType::kBF16, Shape{1})), Error);
  float f = 0;
  EXPECT_THROW(write_npy((dir / "no" / "dir.npy").string(), make_view(&f, DType::kF32, Shape{1})),
               Error);
}

bool have_numpy() {
  return fs::exists("/usr/bin/python3") &&
         std::system("/usr/bin/python3 -c 'import numpy' >/dev/null 2>&1") == 0;
}

const char* kNumpyScript = R"PY(
import sys, numpy as np
d = sys.argv[1]
cases = [c.split(':') for c in sys.argv[2].split()]
shapes = [(2, 3), (), (0,), (3, 0, 2), (5,)]
def pat(descr, shape):
    n = int(np.prod(shape)) if shape else 1
    k = np.arange(n)
    if descr[1] == 'b':
        a = k % 7 != 0
    elif descr[1] == 'u':
        a = (k % 7).astype(descr)
    else:
        a = (k % 7 - 3).astype(descr)
    return a.reshape(shape)
def tag(shape):
    return 's' + ''.join('_%d' % x for x in shape)
for descr, name in cases:
    for shape in shapes:
        want = pat(descr, shape)
        # Files written by wrun must load in numpy with the same dtype, shape and values.
        got = np.load('%s/wrun_%s%s.npy' % (d, name, tag(shape)))
        assert got.dtype == want.dtype and got.shape == want.shape, (name, shape, got.dtype)
        assert np.array_equal(got, want), (name, shape)
        for v in [(1, 0), (2, 0), (3, 0)]:
            with open('%s/np_%s%s_v%d.npy' % (d, name, tag(shape), v[0]), 'wb') as f:
                np.lib.format.write_array(f, want, version=v)
np.save(d + '/fortran.npy', np.asfortranarray(np.ones((2, 3), np.float32)))
np.save(d + '/bigendian.npy', np.ones(3, '>f4'))
np.save(d + '/unicode.npy', np.array(['ab', 'c']))
np.save(d + '/noncontig.npy', np.arange(12, dtype=np.int32).reshape(3, 4)[:, ::2])
)PY";

TEST(Npy, NumpyInterop) {
  if (!have_numpy()) GTEST_SKIP() << "/usr/bin/python3 with numpy not available";
  fs::path dir = tmp_dir("numpy");
  std::string cases;
  for (const Case& c : kCases) {
    cases += std::string(c.descr) + ":" + std::string(dtype_name(c.dtype)) + " ";
    for (const Shape& s : kShapes) {
      std::vector<uint8_t> data = pattern(c.dtype, s.numel());
      write_npy((dir / ("wrun_" + std::string(dtype_name(c.dtype)) + shape_name(s) + ".npy")),
                make_view(data.data(), c.dtype, s));
    }
  }
  {
    std::ofstream f(dir / "gen.py");
    f << kNumpyScript;
  }
  std::string cmd =
      "/usr/bin/python3 " + (dir / "gen.py").string() + " " + dir.string() + " '" + cases + "'";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << "numpy side failed: " << cmd;

  for (const Case& c : kCases) {
    for (const Shape& s : kShapes) {
      for (int v = 1; v <= 3; ++v) {
        std::string path = (dir / ("np_" + std::string(dtype_name(c.dtype)) + shape_name(s) + "_v" +
                                   std::to_string(v) + ".npy"));
        NpyArray a = read_npy(path);
        EXPECT_EQ(a.dtype, c.dtype) << path;
        EXPECT_EQ(a.shape, s) << path;
        EXPECT_EQ(a.data, pattern(c.dtype, s.numel())) << path;
      }
    }
  }
  NpyArray nc = read_npy((dir / "noncontig.npy").string());
  ASSERT_EQ(nc.shape, (Shape{3, 2}));
  const int32_t* p = reinterpret_cast<const int32_t*>(nc.data.data());
  for (int i = 0; i < 6; ++i) EXPECT_EQ(p[i], (i / 2) * 4 + (i % 2) * 2);

  for (const char* name : {"fortran.npy", "bigendian.npy", "unicode.npy"}) {
    std::string path = (dir / name).string();
    try {
      read_npy(path);
      ADD_FAILURE() << "no error for " << name;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
    }
  }
}

// A .npy file with the given header text (unpadded) and data.
std::string npy_bytes(const std::string& header, const std::string& data, int major = 1) {
  std::string s = "\x93NUMPY";
  s += static_cast<char>(major);
  s += '\0';
  const size_t n = header.size();
  s += static_cast<char>(n & 0xff);
  s += static_cast<char>((n >> 8) & 0xff);
  if (major >= 2) s += std::string("\0\0", 2);
  return s + header + data;
}

std::string hdr(const std::string& descr, const std::string& shape,
                const std::string& fortran = "False") {
  return "{'descr': '" + descr + "', 'fortran_order': " + fortran + ", 'shape': " + shape + ", }\n";
}

TEST(Npy, CorruptFilesGiveErrors) {
  fs::path dir = tmp_dir("corrupt");
  const std::string f4x4(16, '\0');
  struct Bad {
    const char* name;
    std::string bytes;
    const char* expect;  // a fragment of the message
  };
  // Declares 1000 header bytes but holds 8.
  const std::string long_len("\x93NUMPY\x01\x00\xe8\x03{'descr'", 18);
  std::vector<Bad> corpus = {
      {"empty", "", "too short"},
      {"text", "hello world, not numpy", "magic"},
      {"magic_only", "\x93NUMPY", "too short"},
      {"no_len", std::string("\x93NUMPY\x02\x00\x10", 9), "too short"},
      {"version4", npy_bytes(hdr("<f4", "(4,)"), f4x4, 4), "version"},
      {"trunc_header", long_len, "truncated header"},
      {"list_header", npy_bytes("[1, 2, 3]\n", f4x4), "not a dict"},
      {"empty_header", npy_bytes("", f4x4), "header"},
      {"unclosed_dict", npy_bytes("{'descr': '<f4', 'fortran_order': False", f4x4), "header"},
      {"no_shape", npy_bytes("{'descr': '<f4', 'fortran_order': False}", f4x4), "shape"},
      {"no_descr", npy_bytes("{'shape': (4,), 'fortran_order': False}", f4x4), "descr"},
      {"dup_key", npy_bytes("{'descr': '<f4', 'descr': '<f4'}", f4x4), "duplicate"},
      {"extra_key",
       npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (4,), 'x': 1}", f4x4),
       "unexpected key"},
      {"trailing_text", npy_bytes(hdr("<f4", "(4,)") + "junk", f4x4), "trailing"},
      {"neg_dim", npy_bytes(hdr("<f4", "(-4,)"), f4x4), "negative"},
      {"dim_overflow", npy_bytes(hdr("<f4", "(99999999999999999999,)"), f4x4), "overflow"},
      {"size_overflow", npy_bytes(hdr("<f4", "(4294967296, 4294967296, 4294967296)"), f4x4),
       "too large"},
      {"absurd_dim", npy_bytes(hdr("<f4", "(1000000000000,)"), f4x4), "needs"},
      {"rank9", npy_bytes(hdr("<f4", "(1, 1, 1, 1, 1, 1, 1, 1, 1)"), f4x4), "dimensions"},
      {"shape_not_tuple", npy_bytes(hdr("<f4", "[4]"), f4x4), "not a tuple"},
      {"shape_text", npy_bytes(hdr("<f4", "(four,)"), f4x4), "not an integer"},
      {"shape_unclosed", npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (4,", f4x4),
       "header"},
      {"short_data", npy_bytes(hdr("<f4", "(5,)"), f4x4), "needs 20"},
      {"trailing_data", npy_bytes(hdr("<f4", "(3,)"), f4x4), "trailing bytes"},
      {"big_endian", npy_bytes(hdr(">f4", "(4,)"), f4x4), "big-endian"},
      {"fortran", npy_bytes(hdr("<f4", "(2, 2)", "True"), f4x4), "fortran_order"},
      {"fortran_int", npy_bytes(hdr("<f4", "(4,)", "1"), f4x4), "fortran_order"},
      {"unicode_dtype", npy_bytes(hdr("<U5", "(4,)"), f4x4), "unsupported dtype"},
      {"structured",
       npy_bytes("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (4,)}", f4x4),
       "structured"},
      {"unterminated", npy_bytes("{'descr': '<f4, 'fortran_order': False}", f4x4), "header"},
  };
  for (const Bad& b : corpus) {
    std::string path = (dir / (std::string(b.name) + ".npy")).string();
    {
      std::ofstream f(path, std::ios::binary);
      f.write(b.bytes.data(), static_cast<std::streamsize>(b.bytes.size()));
    }
    try {
      read_npy(path);
      ADD_FAILURE() << "no error for " << b.name;
    } catch (const Error& e) {
      std::string msg = e.what();
      EXPECT_NE(msg.find(path), std::string::npos) << b.name << ": " << msg;
      EXPECT_NE(msg.find(b.expect), std::string::npos) << b.name << ": " << msg;
      EXPECT_EQ(msg.find('\n'), std::string::npos) << b.name << ": " << msg;
    }
  }
  EXPECT_THROW(read_npy((dir / "missing.npy").string()), Error);
  EXPECT_THROW(read_npy(dir.string()), Error);  // a directory
}

}  // namespace
}  // namespace wrun
