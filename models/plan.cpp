#include "models/plan.h"

#include <sstream>
#include <stdexcept>

namespace micronet {

const char* op_kind_name(OpKind k) {
  switch (k) {
    case OpKind::Stem: return "stem";
    case OpKind::DepthwiseSep: return "dwsep";
    case OpKind::GroupConv: return "gconv";
    case OpKind::ShiftMax: return "shiftmax";
    case OpKind::ReLU6: return "relu6";
    case OpKind::Shuffle: return "shuffle";
    case OpKind::Head: return "head";
  }
  return "?";
}

const char* block_kind_name(BlockKind k) {
  switch (k) {
    case BlockKind::Stem: return "stem";
    case BlockKind::MicroA: return "micro-A";
    case BlockKind::MicroBC: return "micro-BC";
    case BlockKind::Final: return "final";
    case BlockKind::Head: return "head";
  }
  return "?";
}

std::string Op::workload_key() const {
  std::ostringstream s;
  s << op_kind_name(kind) << "_c" << in_channels << "x" << out_channels << "_h" << in_h << "w"
    << in_w;
  switch (kind) {
    case OpKind::Stem: s << "_k" << kernel << "_s" << stride << "_g" << groups << "x" << groups2; break;
    case OpKind::DepthwiseSep: s << "_k" << kernel << "_s" << stride << "_e" << exp1 << "x" << exp2; break;
    case OpKind::GroupConv: s << "_g" << groups; break;
    case OpKind::ShiftMax: s << "_J" << J << "K" << K << "_sq" << squeeze << "_pg" << perm_groups; break;
    case OpKind::Shuffle: s << "_g" << groups; break;
    case OpKind::Head: s << "_hid" << hidden << "_cls" << num_classes; break;
    case OpKind::ReLU6: break;
  }
  return s.str();
}

int shift_max_squeeze(int channels, int reduction) {
  const int v = channels / reduction;
  int new_v = std::max(4, (v + 2) / 4 * 4);
  if (new_v < 0.9 * v) new_v += 4;
  return std::max(new_v, 4);
}

std::vector<int> shift_max_permutation(int channels, int groups) {
  if (groups <= 0 || channels % groups != 0)
    throw std::invalid_argument("shift-max permutation: " + std::to_string(channels) +
                                " channels are not divisible into " + std::to_string(groups) +
                                " groups");
  const int gc = channels / groups;
  std::vector<int> perm(channels);
  for (int gi = 0; gi < groups; ++gi)
    for (int ci = 0; ci < gc; ++ci) perm[gi * gc + ci] = ((gi + 1) % groups) * gc + (ci + 1) % gc;
  return perm;
}

std::vector<int> shuffle_permutation(int channels, int groups) {
  if (groups <= 0 || channels % groups != 0)
    throw std::invalid_argument("channel shuffle: " + std::to_string(channels) +
                                " channels are not divisible into " + std::to_string(groups) +
                                " groups");
  // view (g, C/g) -> transpose (C/g, g): out[j*g + i] = in[i*(C/g) + j].
  const int cpg = channels / groups;
  std::vector<int> perm(channels);
  for (int i = 0; i < groups; ++i)
    for (int j = 0; j < cpg; ++j) perm[j * groups + i] = i * cpg + j;
  return perm;
}

namespace {

int conv_out(int in, int kernel, int stride) { return (in + 2 * (kernel / 2) - kernel) / stride + 1; }

// Appends ops while tracking the activation shape.
class BlockBuilder {
 public:
  BlockBuilder(Block& b) : b_(b), c_(b.in_channels), h_(b.in_h), w_(b.in_w) {}

  Op& add(OpKind kind, std::string key) {
    Op op;
    op.kind = kind;
    op.key = std::move(key);
    op.in_channels = op.out_channels = c_;
    op.in_h = op.out_h = h_;
    op.in_w = op.out_w = w_;
    b_.ops.push_back(op);
    return b_.ops.back();
  }
  void dwsep(const std::string& key, int kernel, int stride, int e1, int e2) {
    Op& op = add(OpKind::DepthwiseSep, key);
    op.kernel = kernel;
    op.stride = stride;
    op.exp1 = e1;
    op.exp2 = e2;
    op.out_channels = c_ * e1 * e2;
    op.out_h = conv_out(h_, kernel, stride);
    op.out_w = conv_out(w_, kernel, stride);
    set_shape(op);
  }
  void gconv(const std::string& key, int out, int groups) {
    Op& op = add(OpKind::GroupConv, key);
    op.groups = groups;
    op.out_channels = out;
    if (c_ % groups != 0 || out % groups != 0)
      throw std::invalid_argument("group conv " + key + ": channels " + std::to_string(c_) + "->" +
                                  std::to_string(out) + " not divisible by groups " +
                                  std::to_string(groups));
    set_shape(op);
  }
  void shift_max(const std::string& key, int J, int K, int reduction, int perm_groups,
                 std::array<float, 2> init_a, std::array<float, 2> init_b) {
    Op& op = add(OpKind::ShiftMax, key);
    op.J = J;
    op.K = K;
    op.reduction = reduction;
    op.squeeze = shift_max_squeeze(c_, reduction);
    op.perm_groups = perm_groups;
    op.init_a = init_a;
    op.init_b = init_b;
    shift_max_permutation(c_, perm_groups);  // validates divisibility
  }
  void relu6() { add(OpKind::ReLU6, ""); }
  void shuffle(int groups) {
    Op& op = add(OpKind::Shuffle, "");
    op.groups = groups;
    shuffle_permutation(c_, groups);  // validates divisibility
  }
  int channels() const { return c_; }
  void finish() {
    b_.out_channels = c_;
    b_.out_h = h_;
    b_.out_w = w_;
  }

 private:
  void set_shape(const Op& op) {
    c_ = op.out_channels;
    h_ = op.out_h;
    w_ = op.out_w;
    if (h_ < 1 || w_ < 1) throw std::invalid_argument("input too small: " + op.key + " would output " + std::to_string(h_) + "x" + std::to_string(w_));
  }
  Block& b_;
  int c_, h_, w_;
};

// Activation slot: code 0 -> ReLU6 (slots y1/y2) or nothing (slot y3); 1/2 -> shift-max K=1/2.
void activation(BlockBuilder& bb, const std::string& key, int J, int code, bool relu_when_zero,
                int reduction, int perm_groups, std::array<float, 2> init_a,
                std::array<float, 2> init_b) {
  if (code == 0) {
    if (relu_when_zero) bb.relu6();
    return;
  }
  bb.shift_max(key, J, code == 2 ? 2 : 1, reduction, perm_groups, init_a, init_b);
}

}  // namespace

namespace {
// One image's activations must be addressable by Halide's 32-bit buffer indexing.
void check_tensor_sizes(const ModelPlan& plan) {
  for (const Block& b : plan.blocks)
    for (const Op& op : b.ops) {
      const int64_t elements = int64_t(op.out_channels) * op.out_h * op.out_w;
      if (elements > kMaxTensorElements)
        throw std::invalid_argument("input size " + std::to_string(plan.input_h) + "x" +
                                    std::to_string(plan.input_w) + " is too large: " + op.key + " would output " +
                                    std::to_string(op.out_channels) + "x" + std::to_string(op.out_h) + "x" +
                                    std::to_string(op.out_w) + " values per image, over " +
                                    std::to_string(kMaxTensorElements));
    }
}
}  // namespace

ModelPlan plan_model(const ModelConfig& cfg, int input_h, int input_w, int num_classes) {
  if (input_h < 1 || input_w < 1)
    throw std::invalid_argument("input size must be positive, got " + std::to_string(input_h) + "x" + std::to_string(input_w));
  // Checked before any shape arithmetic, which is int (as are Halide's extents and strides).
  if (input_h > kMaxInputSide || input_w > kMaxInputSide)
    throw std::invalid_argument("input size " + std::to_string(input_h) + "x" + std::to_string(input_w) +
                                " exceeds the largest supported side, " + std::to_string(kMaxInputSide));
  ModelPlan plan;
  plan.arch = cfg.arch;
  plan.input_h = input_h;
  plan.input_w = input_w;
  plan.num_classes = num_classes > 0 ? num_classes : cfg.num_classes;
  plan.dropout = cfg.dropout;

  // Stem.
  {
    Block b;
    b.kind = BlockKind::Stem;
    b.feature_index = 0;
    b.in_channels = 3;
    b.in_h = input_h;
    b.in_w = input_w;
    BlockBuilder bb(b);
    Op& op = bb.add(OpKind::Stem, "features.0.stem.0");
    op.kernel = 3;
    op.stride = 2;
    op.groups = cfg.stem_groups[0];
    op.groups2 = cfg.stem_groups[1];
    op.out_channels = cfg.stem_groups[0] * cfg.stem_groups[1];
    op.out_h = conv_out(input_h, 3, 2);
    op.out_w = conv_out(input_w, 3, 2);
    if (op.out_channels != cfg.stem_channels)
      throw std::invalid_argument("stem groups do not multiply to the stem channel count");
    b.out_channels = op.out_channels;
    b.out_h = op.out_h;
    b.out_w = op.out_w;
    plan.blocks.push_back(b);
  }

  const std::array<float, 2> init3_a{{cfg.init_a_block3[0], 0.f}};
  const std::array<float, 2> init3_b{{cfg.init_a_block3[1], 0.f}};
  int in_c = cfg.stem_channels, h = plan.blocks[0].out_h, w = plan.blocks[0].out_w;
  int feature = 1;
  for (const BlockRow& row : cfg.rows) {
    for (int rep = 0; rep < row.repeat; ++rep, ++feature) {
      const int stride = rep == 0 ? row.stride : 1;
      const int out_c = row.out_channels;
      const int red = cfg.reduction * row.r;
      const std::string p = "features." + std::to_string(feature) + ".layers.";
      Block b;
      b.feature_index = feature;
      b.in_channels = in_c;
      b.in_h = h;
      b.in_w = w;
      b.residual = stride == 1 && in_c == out_c;
      BlockBuilder bb(b);
      const int hidden = in_c * row.exp1 * row.exp2;
      if (row.g1 == 0) {
        b.kind = BlockKind::MicroA;
        bb.dwsep(p + "0", row.kernel, stride, row.exp1, row.exp2);
        activation(bb, p + "1", row.J, row.y2, true, red, row.g2, cfg.init_a, cfg.init_b);
        bb.shuffle(row.g2);
        if (row.y2 != 0) bb.shuffle(hidden / 2);
        bb.gconv(p + "4", out_c, row.g3);
        activation(bb, p + "5", row.J, row.y3, false, red / 2, row.g4, init3_a, init3_b);
        bb.shuffle(row.g4);
        if (out_c % 2 == 0 && row.y3 != 0) bb.shuffle(out_c / 2);
      } else if (row.g4 == 0) {
        b.kind = BlockKind::Final;
        bb.gconv(p + "0", hidden, row.g1);
        activation(bb, p + "1", row.J, row.y3, false, red, row.g2, init3_a, init3_b);
      } else {
        b.kind = BlockKind::MicroBC;
        bb.gconv(p + "0", hidden, row.g1);
        activation(bb, p + "1", row.J, row.y1, true, red, row.g2, cfg.init_a, cfg.init_b);
        bb.shuffle(row.g2);
        bb.dwsep(p + "3", row.kernel, stride, 1, 1);
        const int expansion_groups = row.g2 != 1 ? hidden / row.g2 : 1;
        activation(bb, p + "5", row.J, row.y2, true, red, expansion_groups, cfg.init_a, cfg.init_b);
        if (row.y1 != 0 && row.y2 != 0) bb.shuffle(hidden / 4);
        else if (!(row.y1 == 0 && row.y2 == 0)) bb.shuffle(hidden / 2);
        bb.gconv(p + "7", out_c, row.g3);
        activation(bb, p + "8", row.J, row.y3, false, out_c < hidden ? red / 2 : red, row.g4, init3_a,
                   init3_b);
        bb.shuffle(row.g4);
        if (row.y3 != 0) bb.shuffle(out_c / 2);
      }
      bb.finish();
      if (b.residual && b.out_channels != b.in_channels)
        throw std::logic_error("residual block changes channels");
      in_c = b.out_channels;
      h = b.out_h;
      w = b.out_w;
      plan.blocks.push_back(b);
    }
  }

  Block head;
  head.kind = BlockKind::Head;
  head.in_channels = in_c;
  head.in_h = h;
  head.in_w = w;
  Op op;
  op.kind = OpKind::Head;
  op.key = "classifier";
  op.in_channels = in_c;
  op.in_h = h;
  op.in_w = w;
  op.out_h = op.out_w = 1;
  op.hidden = cfg.out_channels;
  op.num_classes = plan.num_classes;
  op.out_channels = plan.num_classes;
  head.ops.push_back(op);
  head.out_channels = plan.num_classes;
  head.out_h = head.out_w = 1;
  plan.blocks.push_back(head);
  check_tensor_sizes(plan);
  return plan;
}

}  // namespace micronet
