#include "search/latency_table.h"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "formats/file_io.h"

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

namespace {

// Bounds of a record (docs/limits.md): values outside them are refused, never coerced (a
// 64.9 read as 64, 2^32 + 64 wrapped to 64, a median of 1e308 printed as a 309-digit time).
constexpr size_t kMaxLineBytes = size_t(64) << 10;
constexpr uint64_t kMaxTableBytes = uint64_t(1) << 30;
constexpr double kMaxMicroseconds = 1e9;  // 1000 s for one kernel or network call

[[noreturn]] void bad(const std::string& what) { throw std::runtime_error(what); }

const json& member(const json& j, const char* name) {
  const auto it = j.find(name);
  if (it == j.end()) bad("missing");
  return *it;
}

std::string text(const json& v, size_t max) {
  if (!v.is_string()) bad("expected a string");
  const std::string s = v.get<std::string>();
  if (s.size() > max) bad("a string over " + std::to_string(max) + " bytes");
  for (unsigned char c : s)
    if (c < 0x20 || c == 0x7f) bad("holds a control character");
  return s;
}

int64_t integer(const json& v, int64_t lo, int64_t hi) {
  // is_number_integer: 1.9 or 64.9 are not integers (they were truncated).
  if (!v.is_number_integer()) bad("expected an integer, got " + v.dump());
  // nlohmann reads every non-negative integer as unsigned: both ends checked either way.
  if (v.is_number_unsigned() ? (v.get<uint64_t>() > uint64_t(hi) || int64_t(v.get<uint64_t>()) < lo)
                             : (v.get<int64_t>() < lo || v.get<int64_t>() > hi))
    bad(v.dump() + " is out of range [" + std::to_string(lo) + ".." + std::to_string(hi) + "]");
  return v.get<int64_t>();
}

double microseconds(const json& v, bool zero_ok) {
  if (!v.is_number()) bad("expected a number of microseconds, got " + v.dump());
  const double x = v.get<double>();
  if (!std::isfinite(x) || x > kMaxMicroseconds || (zero_ok ? x < 0 : x <= 0))
    bad(v.dump() + " is out of range (" + std::string(zero_ok ? "[0" : "(0") + ".." + "1e9] us)");
  return x;
}

Conditions read_conditions(const json& j, std::string& field) {
  Conditions c;
  field = "machine"; c.machine = text(member(j, "machine"), 256);
  field = "target"; c.target = text(member(j, "target"), 256);
  field = "batch"; c.batch = int(integer(member(j, "batch"), 1, 4096));
  field = "threads"; c.threads = int(integer(member(j, "threads"), 1, 1024));
  field = "kernels";
  if (j.contains("kernels")) c.kernels = text(j.at("kernels"), 256);
  return c;
}

KernelTiming read_kernel(const json& j, std::string& field) {
  KernelTiming t;
  field = "kernel"; t.kernel = text(member(j, "kernel"), 200);
  field = "schedule"; t.schedule = text(member(j, "schedule"), 1024);
  field = "in";
  const json& in = member(j, "in");
  if (!in.is_array() || in.size() != 2) bad("expected [height, width]");
  t.in_h = int(integer(in[0], 1, 8192));
  t.in_w = int(integer(in[1], 1, 8192));
  field = "median_us"; t.median_us = microseconds(member(j, "median_us"), false);
  field = "min_us"; t.min_us = microseconds(member(j, "min_us"), false);
  return t;
}

NetworkTiming read_network(const json& j, std::string& field) {
  NetworkTiming t;
  field = "config_id"; t.config_id = text(member(j, "config_id"), 64);
  field = "role"; t.role = text(member(j, "role"), 32);
  field = "size"; t.size = int(integer(member(j, "size"), 1, 8192));
  field = "steps"; t.steps = int(integer(member(j, "steps"), 1, 100000));
  field = "params"; t.params = integer(member(j, "params"), 0, int64_t(1) << 40);
  field = "kernel_sum_us"; t.kernel_sum_us = microseconds(member(j, "kernel_sum_us"), true);
  field = "measured_us"; t.measured_us = microseconds(member(j, "measured_us"), false);
  return t;
}

}  // namespace

LatencyTable::LatencyTable(std::string path) : path_(std::move(path)) {
  if (path_.empty()) return;
  // Regular files only (a FIFO or /dev/zero never ends), of a bounded size; missing = empty.
  try {
    if (!regular_file_or_absent(path_)) return;
  } catch (const std::exception& e) {
    throw std::runtime_error(std::string("latency table ") + e.what());
  }
  std::error_code ec;
  if (std::filesystem::file_size(path_, ec) > kMaxTableBytes && !ec)
    throw std::runtime_error(path_ + ": a latency table over " + std::to_string(kMaxTableBytes) + " bytes");
  std::ifstream f(path_);
  if (!f) throw std::runtime_error(path_ + ": cannot read the latency table");
  std::string line;
  int n = 0;
  while (getline_bounded(f, line, kMaxLineBytes)) {
    ++n;
    const std::string at = path_ + ":" + std::to_string(n) + ": ";
    if (line.size() > kMaxLineBytes) throw std::runtime_error(at + "a line over " + std::to_string(kMaxLineBytes) + " bytes");
    const size_t first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos || line[first] == '#') continue;  // blank, or a comment (a torn record)
    // A last line without its newline that does not parse is an append cut short.
    const bool torn_candidate = f.eof();
    try {
      json j;
      try {
        j = json::parse(line);
      } catch (const std::exception& e) {
        throw std::runtime_error(at + "not JSON (" + std::string(e.what()) + ")");
      }
      std::string field;
      try {
        if (!j.is_object()) throw std::runtime_error("expected an object");
        const Conditions c = read_conditions(j, field);
        field = "kind";
        const std::string kind = text(member(j, "kind"), 16);
        if (kind == "kernel") {
          const KernelTiming t = read_kernel(j, field);
          kernels_[key_of(c, t.kernel, t.schedule, t.in_h, t.in_w)] = t;
        } else if (kind == "network") {
          networks_.emplace_back(c, read_network(j, field));
        } else {
          throw std::runtime_error("'" + kind + "' is neither kernel nor network");
        }
      } catch (const std::exception& e) {
        throw std::runtime_error(at + field + ": " + e.what());
      }
    } catch (const std::runtime_error& e) {
      if (!torn_candidate) throw;
      std::cerr << "warning: " << at << "skipping the last line, a record cut short (no newline; a full disk or a "
                << "killed writer?): " << e.what() << "\n";
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
  // Never written: what the reader refuses (a NaN, a coerced size). The line is read back
  // with the reader's own checks first.
  {
    const json j = json::parse(line);
    std::string field;
    try {
      read_conditions(j, field);
      if (j.at("kind") == "kernel") read_kernel(j, field);
      else read_network(j, field);
    } catch (const std::exception& e) {
      throw std::invalid_argument(path_ + ": not appending a record the reader would refuse (" + field + ": " + e.what() + ")");
    }
  }
  // The whole record or nothing, and a full disk is an error (it exited 0 with the table
  // left empty, as std::ofstream's failure went unchecked).
  try {
    append_line_whole(path_, line + "\n", '#');  // a torn last line becomes a '#' comment
  } catch (const std::exception& e) {
    throw std::runtime_error(std::string("cannot append to the latency table: ") + e.what());
  }
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
