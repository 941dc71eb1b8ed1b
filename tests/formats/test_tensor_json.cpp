// Tensor dtype helpers and conversions, and the JSON subset parser behind safetensors.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstring>

#include "formats/json_lite.h"
#include "formats/tensor.h"
#include "test_util.h"

namespace micronet {
namespace {

template <typename T>
Tensor make(DType dtype, std::vector<int64_t> shape, std::vector<T> values) {
  Tensor t;
  t.dtype = dtype;
  t.shape = std::move(shape);
  t.bytes.resize(values.size() * sizeof(T));
  std::memcpy(t.bytes.data(), values.data(), t.bytes.size());
  return t;
}

TEST(Tensor, DtypeNamesRoundTripInSafetensorsSpelling) {
  for (DType d : {DType::F32, DType::F64, DType::F16, DType::BF16, DType::I64, DType::I32,
                  DType::I16, DType::I8, DType::U8, DType::Bool})
    EXPECT_EQ(dtype_from_name(dtype_name(d)), d);
  EXPECT_STREQ(dtype_name(DType::Bool), "BOOL");
  EXPECT_EQ(dtype_size(DType::BF16), 2u);
  EXPECT_THROW(dtype_from_name("F8"), std::runtime_error);
}

TEST(Tensor, ShapeStrAndNumel) {
  Tensor t = Tensor::f32({16, 1, 3, 1}, std::vector<float>(48, 0.f));
  EXPECT_EQ(t.shape_str(), "16x1x3x1");
  EXPECT_EQ(t.numel(), 48);
  Tensor s = Tensor::f32({}, {2.f});
  EXPECT_EQ(s.shape_str(), "scalar");
  EXPECT_EQ(s.numel(), 1);
  EXPECT_THROW(Tensor::f32({2}, {1.f}), std::invalid_argument);
}

TEST(Tensor, ToF32ConvertsEveryFloatAndWideIntDtype) {
  // 1.0, -2.0, 65504 (largest half), 2^-24 (smallest subnormal half), +inf
  Tensor h = make<uint16_t>(DType::F16, {5}, {0x3c00, 0xc000, 0x7bff, 0x0001, 0x7c00});
  std::vector<float> hv = h.to_f32();
  EXPECT_EQ(hv[0], 1.f);
  EXPECT_EQ(hv[1], -2.f);
  EXPECT_EQ(hv[2], 65504.f);
  EXPECT_EQ(hv[3], std::ldexp(1.f, -24));
  EXPECT_TRUE(std::isinf(hv[4]));
  Tensor b = make<uint16_t>(DType::BF16, {2}, {0x3f80, 0xc040});  // 1.0, -3.0
  EXPECT_EQ(b.to_f32(), (std::vector<float>{1.f, -3.f}));
  EXPECT_EQ(make<double>(DType::F64, {2}, {0.5, -7.25}).to_f32(), (std::vector<float>{0.5f, -7.25f}));
  EXPECT_EQ(make<int64_t>(DType::I64, {}, {12345}).to_f32(), (std::vector<float>{12345.f}));
  EXPECT_EQ(make<int32_t>(DType::I32, {1}, {-4}).to_f32(), (std::vector<float>{-4.f}));
  EXPECT_THROW(make<uint8_t>(DType::U8, {1}, {1}).to_f32(), FormatError);
}

TEST(Tensor, F32DataRefusesOtherDtypes) {
  Tensor t = make<int64_t>(DType::I64, {}, {3});
  EXPECT_THROW_MSG(t.f32_data(), FormatError, "I64");
  Tensor f = Tensor::f32({2}, {1.f, 2.f});
  EXPECT_EQ(f.f32_data()[1], 2.f);
}

TEST(JsonLite, ParsesHeaderShapedDocuments) {
  JsonValue v = parse_json(
      " {\"a\\n\\u00e9\\ud83d\\ude00\": {\"dtype\": \"F32\", \"shape\": [], "
      "\"data_offsets\": [0, 9007199254740993]}, \"x\": [true, false, null, -1.5e2]} ");
  ASSERT_EQ(v.kind, JsonValue::Kind::Object);
  const JsonValue* e = v.find("a\n\xc3\xa9\xf0\x9f\x98\x80");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->find("data_offsets")->array[1].integer, 9007199254740993LL);  // 2^53 + 1, exact
  const JsonValue& x = *v.find("x");
  EXPECT_TRUE(x.array[0].boolean);
  EXPECT_FALSE(x.array[1].boolean);
  EXPECT_EQ(x.array[2].kind, JsonValue::Kind::Null);
  EXPECT_EQ(x.array[3].number, -150.0);
}

TEST(JsonLite, RejectsMalformedInput) {
  for (const char* bad : {"", "{", "{\"a\":1,}", "{\"a\" 1}", "[1 2]", "\"\\x\"", "01",
                          "{\"a\":1}{", "\"\\ud800\"", "{\"a\":1,\"a\":2}", "\"tab\there\""})
    EXPECT_THROW(parse_json(bad), JsonError) << bad;
  EXPECT_THROW_MSG(parse_json(std::string(100, '[') + std::string(100, ']')), JsonError, "nesting");
}

TEST(JsonLite, ObjectWithManyMembersParsesInLinearTime) {
  // The duplicate-member check searched the members so far: > 20 s for 300k members.
  std::string doc = "{";
  for (int i = 0; i < 300000; ++i) doc += (i ? ",\"k" : "\"k") + std::to_string(i) + "\":0";
  doc += "}";
  const auto t0 = std::chrono::steady_clock::now();
  const JsonValue v = parse_json(doc);
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 5.0);
  EXPECT_EQ(v.object.size(), 300000u);
  EXPECT_THROW_MSG(parse_json(doc.substr(0, doc.size() - 1) + ",\"k123456\":1}"), JsonError,
                   "duplicate member \"k123456\"");
}

TEST(JsonLite, QuoteRoundTrips) {
  const std::string s = std::string("q\"b\\n\n\x01") + "\xc3\xa9";
  EXPECT_EQ(parse_json(json_quote(s)).string, s);
}

}  // namespace
}  // namespace micronet
