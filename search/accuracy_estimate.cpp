#include "search/accuracy_estimate.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <thread>

#include "autotune/candidate_compiler.h"
#include "support/paths.h"
#include "support/subprocess.h"
#include "models/config_json.h"
#include "formats/safetensors.h"

namespace fs = std::filesystem;

namespace micronet::search {

AccuracyEstimator::AccuracyEstimator(ShortTraining o) : o_(std::move(o)) {
  if (o_.epochs < 0) throw std::invalid_argument("training epochs must be >= 0 (0: --train-steps)");
  if (o_.steps < 1) throw std::invalid_argument("--train-steps must be >= 1");
  if (o_.holdout < 1 || o_.holdout > 30000) throw std::invalid_argument("--holdout must be 1..30000");
  if (o_.work_dir.empty()) throw std::invalid_argument("the accuracy estimator needs a work folder");
  fs::create_directories(o_.work_dir);
  if (o_.cache.empty()) return;
  std::ifstream f(o_.cache);
  std::string line;
  int n = 0;
  while (std::getline(f, line)) {
    ++n;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    try {
      const nlohmann::json j = nlohmann::json::parse(line);
      cache_[j.at("key").get<std::string>()] = j.at("accuracy").get<double>();
    } catch (const std::exception& e) {
      throw std::runtime_error(o_.cache + ":" + std::to_string(n) + ": " + e.what());
    }
  }
}

std::string AccuracyEstimator::recipe() const {
  if (o_.epochs == 0) return std::to_string(o_.steps) + " steps";
  return std::to_string(o_.epochs) + (o_.epochs == 1 ? " epoch" : " epochs") + " (the full recipe)";
}

// A cached result answers only for the same training settings.
std::string AccuracyEstimator::cache_key(const std::string& id) const {
  const std::string length = o_.epochs > 0 ? "/epochs" + std::to_string(o_.epochs) : "/steps" + std::to_string(o_.steps);
  const std::string limit = o_.train_limit > 0 ? "/limit" + std::to_string(o_.train_limit) : "";
  return id + "/s" + std::to_string(o_.size) + length + "/holdout" + std::to_string(o_.holdout) + limit + "/seed" +
         std::to_string(o_.seed);
}

std::vector<double> AccuracyEstimator::estimate(const std::vector<TrainingJob>& jobs, std::ostream& progress) {
  std::vector<double> out(jobs.size(), -1);
  std::vector<size_t> todo;
  for (size_t i = 0; i < jobs.size(); ++i) {
    auto it = cache_.find(cache_key(jobs[i].id));
    if (it != cache_.end()) out[i] = it->second;
    else todo.push_back(i);
  }
  const std::string exe = o_.micronet_exe.empty() ? executable_dir() + "/micronet" : o_.micronet_exe;
  std::atomic<size_t> next{0};
  std::mutex mu;
  std::vector<std::string> errors;
  auto worker = [&]() {
    for (size_t k; (k = next.fetch_add(1)) < todo.size();) {
      const TrainingJob& job = jobs[todo[k]];
      const std::string base = o_.work_dir + "/" + job.id + (o_.epochs > 0 ? "-full" : "");
      std::vector<std::string> argv = {exe, "train"};
      if (!job.builtin_arch.empty()) {
        argv.insert(argv.end(), {"--arch", job.builtin_arch});
      } else {
        std::ofstream(base + ".json") << config_to_json(job.config);
        argv.insert(argv.end(), {"--config", base + ".json"});
      }
      argv.insert(argv.end(), {"--dataset", "fashion-mnist", "--size", std::to_string(o_.size)});
      if (o_.epochs > 0) {  // the shipped model's command: its warmup is the trainer's default
        argv.insert(argv.end(), {"--epochs", std::to_string(o_.epochs)});
      } else {
        const int warmup = std::max(1, o_.steps / 10);
        argv.insert(argv.end(), {"--epochs",
                                 std::to_string(o_.steps / 468 + 1),  // 468 steps per epoch at batch 128: the last epoch stops at --max-steps
                                 "--max-steps", std::to_string(o_.steps), "--warmup", std::to_string(warmup)});
      }
      argv.insert(argv.end(), {"--batch", "128", "--lr", "0.2", "--seed", std::to_string(o_.seed), "--threads", "1",
                               "--holdout", std::to_string(o_.holdout), "--out", base + ".safetensors"});
      if (o_.train_limit > 0) argv.insert(argv.end(), {"--train-limit", std::to_string(o_.train_limit)});
      if (!o_.data_dir.empty()) argv.insert(argv.end(), {"--data-dir", o_.data_dir});
      const auto t0 = std::chrono::steady_clock::now();
      const ProcessResult r = run_process(argv, 4 * 3600, base + ".log");
      const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      double acc = -1;
      std::string err;
      if (!r.start_error.empty()) err = "cannot run " + exe + ": " + r.start_error;
      else if (r.exit_code != 0) err = "training " + job.id + " failed (log " + base + ".log):\n" + r.output;
      else {
        try {
          std::map<std::string, std::string> meta;
          read_safetensors(base + ".safetensors", &meta);
          acc = std::stod(meta.at("holdout_accuracy_libtorch"));
        } catch (const std::exception& e) {
          err = "training " + job.id + " wrote no held-out accuracy (" + e.what() + ")";
        }
      }
      std::lock_guard<std::mutex> lock(mu);
      seconds_ += secs;
      if (!err.empty()) {
        errors.push_back(err);
        continue;
      }
      ++trained_;
      out[todo[k]] = acc;
      cache_[cache_key(job.id)] = acc;
      if (!o_.cache.empty()) {
        nlohmann::json j{{"key", cache_key(job.id)}, {"id", job.id}, {"accuracy", acc}, {"seconds", secs},
                         {"steps", o_.epochs > 0 ? 0 : o_.steps}, {"epochs", o_.epochs}, {"holdout", o_.holdout}};
        std::ofstream(o_.cache, std::ios::app) << j.dump() << "\n";
      }
      char line[200];
      std::snprintf(line, sizeof line, "  trained %s: %.2f%% after %s (%.0f s)\n",
                    job.builtin_arch.empty() ? job.id.c_str() : job.builtin_arch.c_str(), 100 * acc, recipe().c_str(), secs);
      progress << line << std::flush;
    }
  };
  std::vector<std::thread> pool;
  for (int i = 0; i < std::max(1, std::min<int>(o_.jobs, int(todo.size()))); ++i) pool.emplace_back(worker);
  for (std::thread& t : pool) t.join();
  if (!errors.empty()) throw std::runtime_error(errors.front());
  return out;
}

}  // namespace micronet::search
