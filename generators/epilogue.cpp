#include "generators/epilogue.h"

namespace micronet::gen {

using namespace Halide;

namespace {

std::vector<Expr> args(const std::vector<Var>& spatial, Expr c, Expr n) {
  std::vector<Expr> a(spatial.begin(), spatial.end());
  a.push_back(std::move(c));
  a.push_back(std::move(n));
  return a;
}

// Dynamic Shift-Max hyper-function: global pool -> FC -> ReLU -> FC -> h_sigmoid, mapped to
// [-2, 2] ((h - 0.5) * act_max * 2 with act_max 2) plus the init offsets.
void define_coefficients(Func z, const std::vector<Expr>& spatial_extent, const Var& n,
                         const EpilogueInputs& in, const EpilogueParams& p, EpilogueStages* s) {
  Var c("c"), sq("sq"), j("j");
  Region bounds;
  Expr count = 1;
  for (const Expr& e : spatial_extent) {
    bounds.emplace_back(0, e);
    count = count * e;
  }
  s->pool_r = RDom(bounds, "pool_r");
  std::vector<Expr> pr;
  for (int d = 0; d < s->pool_r.dimensions(); ++d) pr.push_back(s->pool_r[d]);
  pr.push_back(c);
  pr.push_back(n);
  s->pooled = Func("pooled");
  s->pooled(c, n) = 0.0f;
  s->pooled(c, n) += z(pr);
  Func mean("mean");
  mean(c, n) = s->pooled(c, n) / cast<float>(count);

  s->fc1_r = RDom(0, p.channels, "fc1_r");
  s->hidden = Func("hidden");
  s->hidden(sq, n) = in.fc1_b(sq);
  s->hidden(sq, n) += in.fc1_w(s->fc1_r, sq) * mean(s->fc1_r, n);
  Func hidden_relu("hidden_relu");
  hidden_relu(sq, n) = max(s->hidden(sq, n), 0.0f);

  s->fc2_r = RDom(0, p.squeeze, "fc2_r");
  Func fc2("fc2");
  fc2(j, n) = in.fc2_b(j);
  fc2(j, n) += in.fc2_w(s->fc2_r, j) * hidden_relu(s->fc2_r, n);
  s->coef = Func("coef");
  s->coef(j, n) = (h_sigmoid(fc2(j, n)) - 0.5f) * 4.0f + in.coef_offset(j);
}

}  // namespace

void define_epilogue(Func out, Func z, const std::vector<Var>& spatial, const Var& c, const Var& n,
                     const std::vector<Expr>& spatial_extent, const EpilogueInputs& in,
                     const EpilogueParams& p, EpilogueStages* stages) {
  // Logical conv-output channel that output plane c holds.
  Expr lc = p.select_output ? clamp(in.out_select(c), 0, p.channels - 1) : Expr(c);
  Expr value;
  if (p.act == kActShiftMax) {
    define_coefficients(z, spatial_extent, n, in, p, stages);
    // out = max over k of sum over j of x[perm_j(c)] * coef[(k*J + j)*C + c]
    for (int k = 0; k < p.K; ++k) {
      Expr fused = 0.0f;
      for (int jj = 0; jj < p.J; ++jj) {
        Expr src = jj == 0 ? lc : clamp(in.shift_perm(lc, jj), 0, p.channels - 1);
        fused = fused + z(args(spatial, src, n)) * stages->coef((k * p.J + jj) * p.channels + lc, n);
      }
      value = k == 0 ? fused : max(value, fused);
    }
  } else {
    value = z(args(spatial, lc, n));
    if (p.act == kActReLU6) value = relu6(value);
  }
  if (p.residual) value = value + in.residual(args(spatial, clamp(in.res_map(c), 0, p.channels - 1), n));
  out(args(spatial, c, n)) = value;
}

}  // namespace micronet::gen
