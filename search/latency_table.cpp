#include "search/latency_table.h"

#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "autotune/tuning_db.h"

namespace micronet::search {

namespace {

using nlohmann::json;

std::string key_of(const Conditions& c, const std::string& kernel, const std::string& schedule, int h, int w) {
  return c.machine + "\n" + c.target + "\n" + std::to_string(c.batch) + "\n" + std::to_string(c.threads) + "\n" +
         c.kernels + "\n" + kernel + "\n" + schedule + "\n" + std::to_string(h) + "x" + std::to_string(w);
}

json conditions_json(const Conditions& c) {
  json j{{"machine", c.machine}, {"target", c.target}, {"batch", c.batch}, {"threads", c.threads}};
  if (!c.kernels.empty()) j["kernels"] = c.kernels;
  return j;
}

}  // namespace

LatencyTable::LatencyTable(std::string path) : path_(std::move(path)) {
  if (path_.empty()) return;
  std::ifstream f(path_);
  if (!f) return;
  std::string line;
  int n = 0;
  while (std::getline(f, line)) {
    ++n;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const std::string at = path_ + ":" + std::to_string(n) + ": ";
    json j;
    try {
      j = json::parse(line);
    } catch (const std::exception& e) {
      throw std::runtime_error(at + "not JSON (" + std::string(e.what()) + ")");
    }
    std::string field;
    try {
      if (!j.is_object()) throw std::runtime_error("expected an object");
      Conditions c;
      field = "machine"; c.machine = j.at("machine").get<std::string>();
      field = "target"; c.target = j.at("target").get<std::string>();
      field = "batch"; c.batch = j.at("batch").get<int>();
      field = "threads"; c.threads = j.at("threads").get<int>();
      field = "kernels"; c.kernels = j.value("kernels", std::string());
      field = "kind";
      const std::string kind = j.at("kind").get<std::string>();
      if (kind == "kernel") {
        KernelTiming t;
        field = "kernel"; t.kernel = j.at("kernel").get<std::string>();
        field = "schedule"; t.schedule = j.at("schedule").get<std::string>();
        field = "in"; t.in_h = j.at("in").at(0).get<int>(); t.in_w = j.at("in").at(1).get<int>();
        field = "median_us"; t.median_us = j.at("median_us").get<double>();
        if (!(t.median_us > 0)) throw std::runtime_error("must be > 0");
        field = "min_us"; t.min_us = j.at("min_us").get<double>();
        if (!(t.min_us > 0)) throw std::runtime_error("must be > 0");
        kernels_[key_of(c, t.kernel, t.schedule, t.in_h, t.in_w)] = t;
      } else if (kind == "network") {
        NetworkTiming t;
        field = "config_id"; t.config_id = j.at("config_id").get<std::string>();
        field = "role"; t.role = j.at("role").get<std::string>();
        field = "size"; t.size = j.at("size").get<int>();
        field = "steps"; t.steps = j.at("steps").get<int>();
        field = "params"; t.params = j.at("params").get<int64_t>();
        field = "kernel_sum_us"; t.kernel_sum_us = j.at("kernel_sum_us").get<double>();
        field = "measured_us"; t.measured_us = j.at("measured_us").get<double>();
        if (!(t.measured_us > 0)) throw std::runtime_error("must be > 0");
        networks_.emplace_back(c, t);
      } else {
        throw std::runtime_error("'" + kind + "' is neither kernel nor network");
      }
    } catch (const std::exception& e) {
      throw std::runtime_error(at + field + ": " + e.what());
    }
  }
}

std::optional<KernelTiming> LatencyTable::kernel(const Conditions& c, const std::string& kernel,
                                                 const std::string& schedule, int in_h, int in_w) const {
  auto it = kernels_.find(key_of(c, kernel, schedule, in_h, in_w));
  if (it == kernels_.end()) return std::nullopt;
  return it->second;
}

std::vector<NetworkTiming> LatencyTable::networks(const Conditions& c) const {
  std::vector<NetworkTiming> out;
  for (const auto& [cond, t] : networks_)
    if (cond == c) out.push_back(t);
  return out;
}

void LatencyTable::append_line(const std::string& line) const {
  if (path_.empty()) return;
  std::ofstream f(path_, std::ios::app);
  f << line << "\n";
  if (!f) throw std::runtime_error(path_ + ": cannot append a record");
}

void LatencyTable::add(const Conditions& c, const KernelTiming& t) {
  kernels_[key_of(c, t.kernel, t.schedule, t.in_h, t.in_w)] = t;
  json j = conditions_json(c);
  j["kind"] = "kernel";
  j["kernel"] = t.kernel;
  j["schedule"] = t.schedule;
  j["in"] = {t.in_h, t.in_w};
  j["median_us"] = t.median_us;
  j["min_us"] = t.min_us;
  j["time"] = tune::utc_now_iso8601();
  append_line(j.dump());
}

void LatencyTable::add(const Conditions& c, const NetworkTiming& t) {
  networks_.emplace_back(c, t);
  json j = conditions_json(c);
  j["kind"] = "network";
  j["config_id"] = t.config_id;
  j["role"] = t.role;
  j["size"] = t.size;
  j["steps"] = t.steps;
  j["params"] = t.params;
  j["kernel_sum_us"] = t.kernel_sum_us;
  j["measured_us"] = t.measured_us;
  j["time"] = tune::utc_now_iso8601();
  append_line(j.dump());
}

}  // namespace micronet::search
