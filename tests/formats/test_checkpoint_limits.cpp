// The .pth reader against hostile files (defects a fuzzer found): deep nesting, quadratic
// dict building, reference cycles, aliasing views, and checkpoints that expand far
// beyond their file size. Every input is built here, byte by byte.
#include <gtest/gtest.h>

#include <chrono>

#include "checkpoint_builder.h"
#include "models/checkpoint_import.h"
#include "formats/restricted_unpickler.h"
#include "models/config.h"
#include "models/plan.h"
#include "test_util.h"

namespace micronet {
namespace {

using testing::Pickle;
using testing::ScratchDir;
using testing::spit;
using testing::zip_of;

// Serves every storage as `nbytes` zero bytes.
const StorageLoader zeros = [](const std::string&, uint64_t nbytes) { return std::vector<uint8_t>(nbytes); };

PickleRef run(const Pickle& p, uint64_t max_bytes = UINT64_MAX) {
  return unpickle_restricted(p.bytes(), zeros, "x.pth", max_bytes);
}

TEST(PickleLimits, AMillionNestedTuplesIsAnErrorNotAStackOverflow) {
  // Freeing a value tree this deep recursed once per level and overflowed the stack.
  Pickle tuples;
  tuples.op('N').ops('\x85', 1000000).op('.');  // ((((None,),),)...)
  EXPECT_THROW_MSG(run(tuples), FormatError, "x.pth", "nest deeper than 64");

  Pickle lists;  // [[[[...]]]]: a million lists, each appended into the one below it
  lists.ops(']', 1000000).ops('a', 999999).op('.');
  EXPECT_THROW_MSG(run(lists), FormatError, "nest deeper than 64");

  Pickle marks;
  marks.ops('(', 1000000).op('N').ops('t', 1000000).op('.');
  EXPECT_THROW_MSG(run(marks), FormatError, "MARKs nest deeper than 64");
}

TEST(PickleLimits, NestingAStateDictNeedsIsAccepted) {
  Pickle p;  // 60 levels of lists around a dict
  p.ops(']', 60).op('}').ops('a', 60).op('.');
  EXPECT_EQ(run(p)->depth, 61);
}

TEST(PickleLimits, SetitemsWithManyKeysIsLinear) {
  // One SETITEMS of 100k keys searched the dict linearly per key: > 20 s.
  Pickle p;
  p.op('}').op('(');
  for (int i = 0; i < 100000; ++i) p.str("k" + std::to_string(i)).int1(uint8_t(i));
  p.str("k7").int1(99);  // a repeated key keeps its first place and takes the last value
  p.op('u').op('.');
  const auto t0 = std::chrono::steady_clock::now();
  const PickleRef d = run(p);
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_LT(s, 5.0);
  ASSERT_EQ(d->entries.size(), 100000u);
  EXPECT_EQ(d->get("k7")->integer, 99);
  EXPECT_EQ(d->entries[7].first->string, "k7");
  EXPECT_EQ(d->get("k99999")->integer, 99999 % 256);
}

TEST(PickleLimits, ReferenceCyclesAreRefused) {
  // A list appended to itself through the memo leaked (shared_ptr cycle).
  Pickle self;
  self.op(']').memo_put(0).memo_get(0).op('a').op('.');
  EXPECT_THROW_MSG(run(self), FormatError, "x.pth", "cannot contain itself");

  Pickle dict;
  dict.op('}').memo_put(0).str("me").memo_get(0).op('s').op('.');
  EXPECT_THROW_MSG(run(dict), FormatError, "cannot contain itself");

  // Through a second list: once b sits in a, b can no longer take a.
  Pickle two;
  two.op(']').memo_put(0).op(']').memo_put(1).op('a').memo_get(1).memo_get(0).op('a').op('.');
  EXPECT_THROW_MSG(run(two), FormatError, "APPEND on a list that already sits inside another container");
}

TEST(PickleLimits, TooManyValuesIsAnError) {
  Pickle p;
  p.ops('N', kMaxPickleValues + 1).op('.');
  EXPECT_THROW_MSG(run(p), FormatError, "more than 1048576 values");
}

TEST(PickleLimits, StrideZeroExpansionIsRefused) {
  // 4 bytes of storage viewed as 2^30 x 2 floats with stride (0, 0): 8 GiB before.
  Pickle p = Pickle::tensor_dict(1, 0, {1u << 30, 2}, {0, 0});
  EXPECT_THROW_MSG(run(p), FormatError, "x.pth", "storage '0'", "reads some elements twice");
  // A smaller expansion was silently copied; a state_dict tensor never aliases itself.
  EXPECT_THROW_MSG(run(Pickle::tensor_dict(4, 0, {3, 4}, {0, 1})), FormatError, "reads some elements twice");
  EXPECT_THROW_MSG(run(Pickle::tensor_dict(4, 0, {2, 3}, {1, 1})), FormatError, "reads some elements twice");
}

TEST(PickleLimits, TransposesSlicesAndBroadcastOfOneAreAccepted) {
  // A transpose, a column slice of a 3x4, and a size-1 dimension with any stride.
  EXPECT_EQ(run(Pickle::tensor_dict(12, 0, {4, 3}, {1, 4}))->get("w")->tensor.shape,
            (std::vector<int64_t>{4, 3}));
  EXPECT_EQ(run(Pickle::tensor_dict(12, 1, {3, 2}, {4, 1}))->get("w")->tensor.bytes.size(), 24u);
  EXPECT_EQ(run(Pickle::tensor_dict(4, 0, {1, 4}, {0, 1}))->get("w")->tensor.bytes.size(), 16u);
  EXPECT_THROW_MSG(run(Pickle::tensor_dict(12, 1, {3, 4}, {4, 1})), FormatError, "reaches past the storage");
}

TEST(PickleLimits, TotalBytesAreBudgetedAcrossTensors) {
  // Three full views of one 1000-float storage: each alone is fine, together they
  // materialize 16 KB (storage + 3 copies).
  Pickle p;
  p.op('}').op('(');
  for (const char* k : {"a", "b", "c"}) p.str(k).tensor("0", 1000, 0, {1000}, {1});
  p.op('u').op('.');
  EXPECT_EQ(run(p, 16000)->entries.size(), 3u);
  EXPECT_THROW_MSG(run(p, 15999), FormatError, "x.pth", "over its limit of 15999 bytes");
  // The storage itself is checked before the loader runs.
  const StorageLoader never = [](const std::string&, uint64_t) -> std::vector<uint8_t> {
    ADD_FAILURE() << "storage loaded past the budget";
    return {};
  };
  EXPECT_THROW_MSG(unpickle_restricted(p.bytes(), never, "x.pth", 3999), FormatError,
                   "storage '0' needs 4000 bytes");
}

// A checkpoint whose storages are `count` deflated runs of `floats` zero floats each.
std::string zero_storages_pth(int count, uint32_t floats, uint32_t declared_floats) {
  Pickle p;
  p.op('}').op('(');
  for (int i = 0; i < count; ++i) {
    const std::string key = std::to_string(i);
    p.str("w" + key).tensor(key, declared_floats, 0, {declared_floats}, {1});
  }
  p.op('u').op('.');
  std::vector<testing::ZipEntry> entries = {{"archive/data.pkl", p.s}};
  const std::string zeros(size_t(floats) * 4, '\0');
  for (int i = 0; i < count; ++i) entries.push_back({"archive/data/" + std::to_string(i), zeros, true});
  return zip_of(entries);
}

TEST(CheckpointLimits, DeflatedStoragesBeyondTheBudgetAreRefusedBeforeInflating) {
  // Four 64 MiB storages in a ~260 KB file: 512 MiB with the copies, ~5x what the
  // largest MicroNet needs. Refused at the second storage without allocating it.
  const uint64_t budget = default_checkpoint_byte_budget();
  ASSERT_LT(budget, uint64_t(256) << 20);
  ScratchDir dir;
  const std::string pth = dir / "bomb.pth";
  spit(pth, zero_storages_pth(4, 16u << 20, 16u << 20));
  const long before = testing::peak_rss_mib();
  EXPECT_THROW_MSG(load_torch_checkpoint(pth), FormatError, pth, "storage '", "over its limit of " + std::to_string(budget));
  EXPECT_LT(testing::peak_rss_mib() - before, 150) << "MiB allocated before the error";
  // The same file under a budget that covers it loads.
  EXPECT_EQ(load_torch_checkpoint(pth, uint64_t(600) << 20).size(), 4u);
}

TEST(CheckpointLimits, ZipEntryDeclaringMoreThanThePickleSaysIsRefusedBeforeInflating) {
  ScratchDir dir;
  const std::string pth = dir / "liar.pth";
  spit(pth, zero_storages_pth(1, 1u << 20, 4));  // pickle: 4 floats; entry: 4 MiB
  EXPECT_THROW_MSG(load_torch_checkpoint(pth), FormatError, pth, "archive/data/0' declares 4194304 bytes",
                   "storage '0' holds 16");
}

TEST(CheckpointLimits, BudgetFollowsThePlan) {
  const uint64_t m0 = checkpoint_byte_budget(plan_model(model_config("m0")));
  const uint64_t m3 = checkpoint_byte_budget(plan_model(model_config("m3")));
  EXPECT_LT(m0, m3);
  EXPECT_EQ(default_checkpoint_byte_budget(), m3);
  // 4 x the state_dict + 64 MiB: M3's ~2.6M parameters are ~10 MB of fp32.
  EXPECT_GT(m3, (uint64_t(64) << 20) + 4 * 8000000);
  // A 21k-class head needs a budget from its own plan.
  EXPECT_GT(checkpoint_byte_budget(plan_model(model_config("m3"), 224, 224, 21843)), m3);
}

TEST(CheckpointLimits, TiedWeightsStillImportUnderBothKeys) {
  // The tensors are moved out of the pickle's values unless shared.
  Pickle p;
  p.op('}').op('(').str("a").tensor("0", 2, 0, {2}, {1}).memo_put(9).str("b").memo_get(9).op('u').op('.');
  ScratchDir dir;
  spit(dir / "tied.pth", zip_of({{"t/data.pkl", p.s}, {"t/data/0", std::string("\0\0\x80\x3f\0\0\0\x40", 8)}}));
  const TensorMap m = load_torch_checkpoint(dir / "tied.pth");
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m.at("a").to_f32(), (std::vector<float>{1, 2}));
  EXPECT_EQ(m.at("b").to_f32(), (std::vector<float>{1, 2}));
}

}  // namespace
}  // namespace micronet
