// Model configs as JSON: the shipped M0..M3 files are exactly the built-in models, any
// config reads back equal, and each kind of mistake is refused naming its field and row.
#include <gtest/gtest.h>

#include <regex>
#include <set>

#include "models/config_json.h"
#include "models/kernel_plan.h"
#include "models/plan.h"

namespace micronet {
namespace {

std::string file_of(const std::string& arch) { return std::string(MICRONET_CONFIG_DIR) + "/" + arch + ".json"; }

TEST(ConfigJson, ShippedFilesAreTheBuiltInModels) {
  for (const std::string& arch : known_archs()) {
    const ModelConfig cfg = load_config_file(file_of(arch));
    EXPECT_TRUE(cfg == model_config(arch)) << arch;
    EXPECT_EQ(config_for(arch), model_config(arch));
    EXPECT_EQ(config_for(file_of(arch)), model_config(arch));
  }
}

TEST(ConfigJson, RoundTrips) {
  for (const std::string& arch : known_archs()) {
    const ModelConfig& m = model_config(arch);
    EXPECT_EQ(config_from_json(config_to_json(m), "x"), m) << arch;
  }
}

// A custom network: different widths, K=1 and K=2 shift-max, J=1 and J=3 rows, a 7x7 kernel.
const char* kCustom = R"({"name": "tiny", "stem_ch": 6, "stem_groups": [3, 2], "out_ch": 128,
  "init_a": [1.0, 1.0], "init_b": [0.0, 0.0], "classes": 10, "input_size": [64, 64],
  "rows": [
    {"s": 2, "n": 1, "c": 12, "ks": 3, "c1": 2, "c2": 2, "g1": 0, "g2": 6, "c3": 12, "g3": 2, "g4": 2, "y1": 2, "y2": 0, "y3": 1, "r": 1},
    {"s": 2, "n": 2, "c": 24, "ks": 7, "c1": 1, "c2": 4, "g1": 4, "g2": 4, "c3": 24, "g3": 4, "g4": 4, "y1": 2, "y2": 1, "y3": 1, "r": 1, "J": 1},
    {"s": 1, "n": 1, "c": 24, "ks": 5, "c1": 1, "c2": 4, "g1": 4, "g2": 4, "c3": 24, "g3": 4, "g4": 4, "y1": 2, "y2": 2, "y3": 1, "r": 2, "J": 3},
    {"s": 1, "n": 1, "c": 96, "ks": 3, "c1": 1, "c2": 4, "g1": 8, "g2": 8, "c3": 0, "g3": 0, "g4": 0, "y1": 2, "y2": 2, "y3": 2, "r": 2}
  ]})";

TEST(ConfigJson, CustomNetworkPlansWithItsJAndK) {
  const ModelConfig cfg = config_from_json(kCustom, "tiny.json");
  EXPECT_EQ(cfg.arch, "tiny");
  EXPECT_EQ(cfg.config_name, "tiny");
  EXPECT_EQ(cfg.num_classes, 10);
  EXPECT_EQ(cfg.rows[1].J, 1);
  EXPECT_EQ(cfg.rows[2].J, 3);
  EXPECT_EQ(cfg.rows[0].J, 2);
  EXPECT_EQ(config_from_json(config_to_json(cfg), "again"), cfg);
  const ModelPlan plan = plan_model(cfg, 64, 64);
  std::set<std::pair<int, int>> jk;
  for (const KernelStep& s : lower_plan(plan))
    if (s.spec.act == 2) jk.insert({s.spec.J, s.spec.K});
  EXPECT_TRUE(jk.count({1, 1}) && jk.count({1, 2}) && jk.count({3, 2}) && jk.count({2, 2}) && jk.count({2, 1}) &&
              jk.count({3, 1}));
}

// Replaces the first match of `from` in the custom config and expects an error naming `field`.
void expect_error(const std::string& from, const std::string& to, const std::string& field,
                  const std::string& also = "") {
  std::string text = kCustom;
  const size_t at = text.find(from);
  ASSERT_NE(at, std::string::npos) << from;
  text.replace(at, from.size(), to);
  try {
    config_from_json(text, "my.json");
    ADD_FAILURE() << "accepted: " << to;
  } catch (const ConfigError& e) {
    const std::string what = e.what();
    EXPECT_EQ(what.rfind("my.json: " + field + ": ", 0), 0u) << what;
    if (!also.empty()) EXPECT_NE(what.find(also), std::string::npos) << what;
  }
}

TEST(ConfigJson, EachBadFieldIsNamed) {
  expect_error(R"("stem_ch": 6)", R"("stem_ch": "6")", "stem_ch", "expected an integer");
  expect_error(R"("stem_ch": 6)", R"("stem_ch": 8)", "stem_groups", "must equal stem_ch 8");
  expect_error(R"("out_ch": 128)", R"("out_ch": 0)", "out_ch", "out of range");
  expect_error(R"("init_a": [1.0, 1.0])", R"("init_a": [1.0])", "init_a", "two numbers");
  expect_error(R"("init_b": [0.0, 0.0])", R"("init_b": [0.0, "x"])", "init_b[1]", "expected a number");
  expect_error(R"("classes": 10)", R"("classes": 10, "act_max": 3.0)", "act_max", "not supported");
  expect_error(R"("classes": 10)", R"("clases": 10)", "clases", "unknown field");
  expect_error(R"("input_size": [64, 64])", R"("input_size": [64])", "input_size");
  expect_error(R"("name": "tiny")", R"("name": "m0")", "name", "built-in model");
  expect_error(R"("name": "tiny")", R"("name": "a b")", "name");
  expect_error(R"("name": "tiny", )", "", "name", "missing");
  expect_error(R"("s": 2, "n": 1, "c": 12)", R"("s": 3, "n": 1, "c": 12)", "rows[0].s", "out of range [1..2]");
  expect_error(R"("ks": 7)", R"("ks": 6)", "rows[1].ks", "even");
  expect_error(R"("ks": 7)", R"("kernel": 7)", "rows[1].kernel", "unknown column");
  expect_error(R"("y2": 1)", R"("y2": 3)", "rows[1].y2", "out of range [0..2]");
  expect_error(R"("J": 1)", R"("J": 0)", "rows[1].J", "out of range");
  expect_error(R"(, "r": 2, "J": 3)", "", "rows[2].r", "missing");
  // Divisibility is checked by planning the network; the layer becomes its row.
  expect_error(R"("g1": 4, "g2": 4, "c3": 24, "g3": 4)", R"("g1": 5, "g2": 4, "c3": 24, "g3": 4)", "rows[1]",
               "not divisible");
  expect_error(R"("g3": 0, "g4": 0)", R"("g3": 0, "g4": 2)", "rows[3].g3", "final row");
}

TEST(ConfigJson, NotJsonIsNamed) {
  try {
    config_from_json("{\"name\": ", "bad.json");
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("bad.json: not valid JSON"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace micronet
