#include "models/config_json.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <regex>
#include <set>
#include <sstream>

#include "models/plan.h"
#include "formats/file_io.h"
#include "formats/json_lite.h"

namespace micronet {

namespace {

// The row columns in the official table's order, and where each lands in BlockRow.
struct Column {
  const char* name;
  int BlockRow::*field;
  int lo, hi;  // accepted range
  const char* meaning;
};
const std::vector<Column>& columns() {
  static const std::vector<Column> c = {
      {"s", &BlockRow::stride, 1, 2, "stride"},
      {"n", &BlockRow::repeat, 1, 64, "repeats"},
      {"c", &BlockRow::out_channels, 1, 65536, "output channels"},
      {"ks", &BlockRow::kernel, 1, 15, "depthwise kernel size"},
      {"c1", &BlockRow::exp1, 1, 64, "first expansion"},
      {"c2", &BlockRow::exp2, 1, 64, "second expansion"},
      {"g1", &BlockRow::g1, 0, 65536, "groups of the first conv (0: Micro-Block-A)"},
      {"g2", &BlockRow::g2, 1, 65536, "permutation groups"},
      {"c3", &BlockRow::c3, 0, 65536, "hidden channels of the 1x1 (unused)"},
      {"g3", &BlockRow::g3, 0, 65536, "groups of the last conv"},
      {"g4", &BlockRow::g4, 0, 65536, "shuffle groups (0: final row)"},
      {"y1", &BlockRow::y1, 0, 2, "activation of slot 1 (0 ReLU6, 1/2 Dynamic Shift-Max K=1/2)"},
      {"y2", &BlockRow::y2, 0, 2, "activation of slot 2"},
      {"y3", &BlockRow::y3, 0, 2, "activation of slot 3 (0 none)"},
      {"r", &BlockRow::r, 1, 64, "reduction multiplier"},
      {"J", &BlockRow::J, 1, 4, "Dynamic Shift-Max group shifts (not in the official table)"},
  };
  return c;
}

// What a MicroNet can be, bounded before anything is planned or compiled (docs/limits.md):
// M3 has 12 rows of 1 block; the search's networks have < 20 blocks. Without the bounds a
// config of 100k rows passed `info` and `compile`, and running its package took 43 s and 4 GB.
constexpr size_t kMaxConfigBytes = size_t(1) << 20;
constexpr size_t kMaxRows = 64;
constexpr int kMaxBlocks = 256;        // the rows' repeats summed
constexpr size_t kMaxConfigNameBytes = 256;

const std::set<std::string> kTopFields = {"name",   "config_name", "stem_ch",  "stem_groups", "out_ch",
                                          "init_a", "init_b",      "init_a_block3", "act_max", "reduction",
                                          "dropout", "classes",    "input_size", "rows"};

class Reader {
 public:
  explicit Reader(std::string source) : source_(std::move(source)) {}

  [[noreturn]] void fail(const std::string& field, const std::string& what) const {
    throw ConfigError(source_ + ": " + field + ": " + what);
  }

  const JsonValue& need(const JsonValue& obj, const std::string& name, const std::string& where) const {
    const JsonValue* v = obj.find(name);
    if (!v) fail(where + name, "missing (required)");
    return *v;
  }

  int integer(const JsonValue& v, const std::string& field, int lo, int hi) const {
    if (v.kind != JsonValue::Kind::Integer) fail(field, "expected an integer, got " + describe(v));
    if (v.integer < lo || v.integer > hi)
      fail(field, std::to_string(v.integer) + " is out of range [" + std::to_string(lo) + ".." +
                      std::to_string(hi) + "]");
    return int(v.integer);
  }

  float real(const JsonValue& v, const std::string& field, double lo, double hi) const {
    double x = 0;
    if (v.kind == JsonValue::Kind::Integer) x = double(v.integer);
    else if (v.kind == JsonValue::Kind::Number) x = v.number;
    else fail(field, "expected a number, got " + describe(v));
    if (!std::isfinite(x) || x < lo || x > hi)
      fail(field, format(x) + " is out of range [" + format(lo) + ".." + format(hi) + "]");
    return float(x);
  }

  std::string text(const JsonValue& v, const std::string& field) const {
    if (v.kind != JsonValue::Kind::String) fail(field, "expected a string, got " + describe(v));
    for (unsigned char c : v.string)
      if (c < 0x20 || c == 0x7f) fail(field, "holds a control character: " + describe(v));
    return v.string;
  }

  const JsonValue& pair(const JsonValue& v, const std::string& field) const {
    if (v.kind != JsonValue::Kind::Array || v.array.size() != 2)
      fail(field, "expected a list of two numbers, got " + describe(v));
    return v;
  }

  static std::string format(double x) {
    char b[32];
    std::snprintf(b, sizeof b, "%g", x);
    return b;
  }
  static std::string describe(const JsonValue& v) {
    switch (v.kind) {
      case JsonValue::Kind::Null: return "null";
      case JsonValue::Kind::Bool: return v.boolean ? "true" : "false";
      case JsonValue::Kind::Integer: return std::to_string(v.integer);
      case JsonValue::Kind::Number: return format(v.number);
      case JsonValue::Kind::String: return "the string \"" + printable(v.string) + "\"";
      case JsonValue::Kind::Array: return "a list of " + std::to_string(v.array.size());
      case JsonValue::Kind::Object: return "an object";
    }
    return "?";
  }

  const std::string& source() const { return source_; }

 private:
  std::string source_;
};

// Which row (0-based) a feature block index (1-based, features.<i>) comes from.
int row_of_feature(const ModelConfig& cfg, int feature) {
  int f = 1;
  for (size_t r = 0; r < cfg.rows.size(); ++r) {
    f += cfg.rows[r].repeat;
    if (feature < f) return int(r);
  }
  return -1;
}

// Rules the planner does not check by itself, with the column they concern.
void check_row(const Reader& rd, const BlockRow& row, size_t i, bool last) {
  const std::string at = "rows[" + std::to_string(i) + "].";
  if (row.kernel % 2 == 0) rd.fail(at + "ks", std::to_string(row.kernel) + " is even (kernels are odd: padding is ks/2)");
  if (row.g4 == 0 && row.g1 == 0) rd.fail(at + "g4", "0 (final row) needs g1 > 0: the final row is a group conv");
  if (row.g4 == 0 && !last) rd.fail(at + "g4", "0 marks the final row, but more rows follow");
  if (row.g4 != 0 && row.g3 == 0) rd.fail(at + "g3", "0 is only allowed in the final row (g4 = 0)");
}

}  // namespace

ModelConfig config_from_json(const std::string& text, const std::string& source) {
  const Reader rd(source);
  JsonValue doc;
  try {
    // ~17 values per row: 16k values are 900 rows, far past kMaxRows, so the row bound
    // below gives the clearer message while the value bound caps the memory (~2 MB).
    JsonLimits limits;
    limits.max_bytes = kMaxConfigBytes;
    limits.max_depth = 8;
    limits.max_values = 16384;
    limits.max_string_bytes = 4096;
    doc = parse_json(text, limits);
  } catch (const JsonError& e) {
    throw ConfigError(source + ": not valid JSON: " + e.what());
  }
  if (doc.kind != JsonValue::Kind::Object) rd.fail("(document)", "expected a JSON object, got " + Reader::describe(doc));
  for (const auto& m : doc.object)
    if (!kTopFields.count(m.first)) rd.fail(printable(m.first), "unknown field (known: name, config_name, stem_ch, stem_groups, "
                                                     "out_ch, init_a, init_b, init_a_block3, act_max, reduction, "
                                                     "dropout, classes, input_size, rows)");
  ModelConfig cfg;
  cfg.arch = rd.text(rd.need(doc, "name", ""), "name");
  if (cfg.arch.empty() || cfg.arch.size() > 64 ||
      !std::regex_match(cfg.arch, std::regex("[A-Za-z0-9][A-Za-z0-9_.-]*")))
    rd.fail("name", "\"" + printable(cfg.arch) + "\" must be 1-64 letters, digits, '_', '.' or '-'");
  cfg.config_name = doc.find("config_name") ? rd.text(*doc.find("config_name"), "config_name") : cfg.arch;
  if (cfg.config_name.size() > kMaxConfigNameBytes)
    rd.fail("config_name", std::to_string(cfg.config_name.size()) + " bytes, over the limit of " +
                               std::to_string(kMaxConfigNameBytes));
  cfg.stem_channels = rd.integer(rd.need(doc, "stem_ch", ""), "stem_ch", 1, 4096);
  const JsonValue& sg = rd.pair(rd.need(doc, "stem_groups", ""), "stem_groups");
  cfg.stem_groups = {rd.integer(sg.array[0], "stem_groups[0]", 1, 4096),
                     rd.integer(sg.array[1], "stem_groups[1]", 1, 4096)};
  if (cfg.stem_groups[0] * cfg.stem_groups[1] != cfg.stem_channels)
    rd.fail("stem_groups", std::to_string(cfg.stem_groups[0]) + " x " + std::to_string(cfg.stem_groups[1]) +
                               " must equal stem_ch " + std::to_string(cfg.stem_channels));
  cfg.out_channels = rd.integer(rd.need(doc, "out_ch", ""), "out_ch", 1, 65536);
  auto real_pair = [&](const char* name, std::array<float, 2> dflt, bool required) {
    const JsonValue* v = doc.find(name);
    if (!v) {
      if (required) rd.need(doc, name, "");
      return dflt;
    }
    rd.pair(*v, name);
    const std::string n = name;
    return std::array<float, 2>{rd.real(v->array[0], n + "[0]", -100, 100), rd.real(v->array[1], n + "[1]", -100, 100)};
  };
  cfg.init_a = real_pair("init_a", {1.f, 1.f}, true);
  cfg.init_b = real_pair("init_b", {0.f, 0.f}, true);
  cfg.init_a_block3 = real_pair("init_a_block3", {1.f, 0.f}, false);
  if (const JsonValue* v = doc.find("act_max")) {
    cfg.act_max = rd.real(*v, "act_max", 0, 100);
    if (cfg.act_max != 2.0f) rd.fail("act_max", Reader::format(cfg.act_max) + " is not supported: the kernels implement 2.0 (the official value)");
  }
  cfg.reduction = doc.find("reduction") ? rd.integer(*doc.find("reduction"), "reduction", 1, 1024) : 8;
  cfg.dropout = doc.find("dropout") ? rd.real(*doc.find("dropout"), "dropout", 0, 0.99) : 0.f;
  cfg.num_classes = doc.find("classes") ? rd.integer(*doc.find("classes"), "classes", 1, 100000) : 1000;
  if (const JsonValue* v = doc.find("input_size")) {
    if (v->kind != JsonValue::Kind::Array || v->array.size() != 2)
      rd.fail("input_size", "expected [height, width], got " + Reader::describe(*v));
    cfg.input_h = rd.integer(v->array[0], "input_size[0]", 16, 4096);
    cfg.input_w = rd.integer(v->array[1], "input_size[1]", 16, 4096);
  }

  const JsonValue& rows = rd.need(doc, "rows", "");
  if (rows.kind != JsonValue::Kind::Array || rows.array.empty())
    rd.fail("rows", "expected a non-empty list of row objects, got " + Reader::describe(rows));
  if (rows.array.size() > kMaxRows)
    rd.fail("rows", std::to_string(rows.array.size()) + " rows, over the limit of " + std::to_string(kMaxRows) +
                        " (MicroNet-M3 has 12)");
  int blocks = 0;
  for (size_t i = 0; i < rows.array.size(); ++i) {
    const JsonValue& r = rows.array[i];
    const std::string at = "rows[" + std::to_string(i) + "]";
    if (r.kind != JsonValue::Kind::Object) rd.fail(at, "expected an object, got " + Reader::describe(r));
    for (const auto& m : r.object) {
      bool known = false;
      for (const Column& c : columns()) known = known || m.first == c.name;
      if (!known)
        rd.fail(at + "." + printable(m.first), "unknown column (the official columns: s n c ks c1 c2 g1 g2 c3 g3 g4 y1 y2 y3 r; "
                                    "extra: J)");
    }
    BlockRow row{};
    row.J = 2;
    for (const Column& c : columns()) {
      const JsonValue* v = r.find(c.name);
      if (!v) {
        if (std::string(c.name) == "J") continue;
        rd.fail(at + "." + c.name, std::string("missing (") + c.meaning + ")");
      }
      row.*(c.field) = rd.integer(*v, at + "." + c.name, c.lo, c.hi);
    }
    check_row(rd, row, i, i + 1 == rows.array.size());
    blocks += row.repeat;
    if (blocks > kMaxBlocks)
      rd.fail(at + ".n", "the rows so far repeat " + std::to_string(blocks) + " blocks, over the limit of " +
                             std::to_string(kMaxBlocks) + " blocks in a network");
    cfg.rows.push_back(row);
  }
  if (cfg.rows.back().g4 != 0)
    rd.fail("rows[" + std::to_string(cfg.rows.size() - 1) + "].g4",
            "the last row must be the final row (g4 = 0: a group conv widening to the head)");

  if (is_known_arch(cfg.arch)) {
    // A custom network must not pass for an official one (weights metadata, packages).
    ModelConfig official = model_config(cfg.arch), mine = cfg;
    mine.num_classes = official.num_classes;
    mine.input_h = official.input_h;
    mine.input_w = official.input_w;
    if (mine != official)
      rd.fail("name", "\"" + cfg.arch + "\" is a built-in model, and this config differs from it; give it another name");
  }

  // Divisibility and sizes, as the planner checks them; its message names the layer
  // ("features.4.layers.0"), which becomes the row here.
  try {
    plan_model(cfg, cfg.input_h, cfg.input_w);
  } catch (const std::exception& e) {
    std::string what = e.what();
    std::smatch m;
    std::string field = "rows";
    if (std::regex_search(what, m, std::regex("features\\.(\\d+)\\."))) {
      const int row = row_of_feature(cfg, std::stoi(m[1].str()));
      if (row >= 0) field = "rows[" + std::to_string(row) + "]";
    } else if (what.find("stem") != std::string::npos) {
      field = "stem_groups";
    }
    rd.fail(field, what);
  }
  return cfg;
}

ModelConfig load_config_file(const std::string& path) {
  const std::vector<uint8_t> bytes = read_file_bytes(path, kMaxConfigBytes);  // bounded, regular files only
  return config_from_json(std::string(bytes.begin(), bytes.end()), path);
}

std::string config_to_json(const ModelConfig& cfg) {
  auto num = [](float x) {
    char b[32];
    for (int digits = 6; digits <= 9; ++digits) {  // the shortest text that reads back equal
      std::snprintf(b, sizeof b, "%.*g", digits, double(x));
      if (std::strtof(b, nullptr) == x) break;
    }
    std::string s = b;
    if (s.find_first_of(".eE") == std::string::npos) s += ".0";
    return s;
  };
  std::ostringstream s;
  s << "{\n  \"name\": " << json_quote(cfg.arch) << ",\n  \"config_name\": " << json_quote(cfg.config_name)
    << ",\n  \"stem_ch\": " << cfg.stem_channels << ",\n  \"stem_groups\": [" << cfg.stem_groups[0] << ", "
    << cfg.stem_groups[1] << "],\n  \"out_ch\": " << cfg.out_channels << ",\n  \"init_a\": [" << num(cfg.init_a[0])
    << ", " << num(cfg.init_a[1]) << "],\n  \"init_b\": [" << num(cfg.init_b[0]) << ", " << num(cfg.init_b[1])
    << "],\n  \"init_a_block3\": [" << num(cfg.init_a_block3[0]) << ", " << num(cfg.init_a_block3[1])
    << "],\n  \"act_max\": " << num(cfg.act_max) << ",\n  \"reduction\": " << cfg.reduction
    << ",\n  \"dropout\": " << num(cfg.dropout) << ",\n  \"classes\": " << cfg.num_classes
    << ",\n  \"input_size\": [" << cfg.input_h << ", " << cfg.input_w << "],\n  \"rows\": [\n";
  for (size_t i = 0; i < cfg.rows.size(); ++i) {
    const BlockRow& r = cfg.rows[i];
    s << "    {";
    bool first = true;
    for (const Column& c : columns()) {
      if (std::string(c.name) == "J" && r.J == 2) continue;  // the official value: not written
      s << (first ? "" : ", ") << "\"" << c.name << "\": " << r.*(c.field);
      first = false;
    }
    s << "}" << (i + 1 < cfg.rows.size() ? "," : "") << "\n";
  }
  s << "  ]\n}\n";
  return s.str();
}

ModelConfig config_for(const std::string& arch_or_file) {
  if (is_known_arch(arch_or_file)) return model_config(arch_or_file);
  return load_config_file(arch_or_file);
}

}  // namespace micronet
