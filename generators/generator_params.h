// Members shared by the convolution generators, as macros because Halide generators
// discover their params and inputs as members of the concrete class (declaration order =
// argument order of the compiled function).
#pragma once

#include <string>

#include "schedules/knobs.h"

// Epilogue choice (see epilogue.h). Estimates of the spatial size feed the autoschedulers
// and name the tuning record; the compiled code takes any size at run time.
#define MICRONET_EPILOGUE_PARAMS                                              \
  Halide::GeneratorParam<int> act{"act", 0};                                   \
  Halide::GeneratorParam<int> shift_j{"shift_j", 2};                           \
  Halide::GeneratorParam<int> shift_k{"shift_k", 1};                           \
  Halide::GeneratorParam<int> squeeze{"squeeze", 4};                           \
  Halide::GeneratorParam<bool> select_output{"select_output", false};          \
  Halide::GeneratorParam<bool> residual{"residual", false};

// The tuning record is looked up by (workload, target) in tuning_file; empty = defaults.
#define MICRONET_SCHEDULE_PARAMS                                              \
  Halide::GeneratorParam<int> est_h{"est_h", 56};                              \
  Halide::GeneratorParam<int> est_w{"est_w", 56};                              \
  Halide::GeneratorParam<std::string> workload{"workload", ""};                \
  Halide::GeneratorParam<std::string> tuning_file{"tuning_file", ""};

#define MICRONET_EPILOGUE_INPUTS(SPATIAL_DIMS)                                         \
  Input<Halide::Buffer<float>> fc1_w{"fc1_w", 2};                               \
  Input<Halide::Buffer<float>> fc1_b{"fc1_b", 1};                               \
  Input<Halide::Buffer<float>> fc2_w{"fc2_w", 2};                               \
  Input<Halide::Buffer<float>> fc2_b{"fc2_b", 1};                               \
  Input<Halide::Buffer<float>> coef_offset{"coef_offset", 1};                   \
  Input<Halide::Buffer<int32_t>> shift_perm{"shift_perm", 2};                   \
  Input<Halide::Buffer<int32_t>> out_select{"out_select", 1};                   \
  Input<Halide::Buffer<float>> residual_in{"residual_in", (SPATIAL_DIMS) + 2};  \
  Input<Halide::Buffer<int32_t>> res_map{"res_map", 1};

#define MICRONET_EPILOGUE_METHODS                                                        \
  EpilogueInputs epilogue_inputs() {                                                     \
    EpilogueInputs e;                                                                    \
    e.fc1_w = fc1_w;                                                                     \
    e.fc1_b = fc1_b;                                                                     \
    e.fc2_w = fc2_w;                                                                     \
    e.fc2_b = fc2_b;                                                                     \
    e.coef_offset = coef_offset;                                                         \
    e.shift_perm = shift_perm;                                                           \
    e.out_select = out_select;                                                           \
    e.residual = residual_in;                                                            \
    e.res_map = res_map;                                                                 \
    return e;                                                                            \
  }                                                                                      \
  EpilogueParams epilogue_params(int channels) const {                                   \
    EpilogueParams p;                                                                    \
    p.act = act;                                                                         \
    p.channels = channels;                                                               \
    p.J = shift_j;                                                                       \
    p.K = shift_k;                                                                       \
    p.squeeze = squeeze;                                                                 \
    p.select_output = select_output;                                                     \
    p.residual = residual;                                                               \
    return p;                                                                            \
  }                                                                                      \
  void set_epilogue_estimates(int channels, int hw) {                                    \
    const int jk = channels * shift_j * shift_k;                                         \
    fc1_w.set_estimates({{0, channels}, {0, squeeze}});                                  \
    fc1_b.set_estimates({{0, squeeze}});                                                 \
    fc2_w.set_estimates({{0, jk}, {0, squeeze}});                                        \
    fc2_b.set_estimates({{0, jk}});                                                      \
    coef_offset.set_estimates({{0, jk}});                                                \
    shift_perm.set_estimates({{0, channels}, {0, shift_j}});                             \
    out_select.set_estimates({{0, channels}});                                           \
    res_map.set_estimates({{0, channels}});                                              \
    if (residual_in.dimensions() == 3)                                                   \
      residual_in.set_estimates({{0, hw}, {0, channels}, {0, 1}});                       \
    else                                                                                 \
      residual_in.set_estimates({{0, est_w}, {0, est_h}, {0, channels}, {0, 1}});        \
  }                                                                                      \
  micronet::sched::Knobs knobs() const {                                                 \
    return micronet::sched::load_knobs(tuning_file, workload, get_target());             \
  }
