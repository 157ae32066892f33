#include "router/routing_trace.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <numeric>
#include <sstream>
#include <system_error>

#include "core/error.h"
#include "core/rng.h"
#include "core/temp_file.h"

namespace moefab::router {

namespace {

// Inverse-CDF sampler over n items with the given (unnormalised) weights.
class Sampler {
 public:
  explicit Sampler(const std::vector<double>& weights) : cdf_(weights.size()) {
    double sum = 0;
    for (size_t i = 0; i < weights.size(); ++i) cdf_[i] = sum += weights[i];
    for (auto& c : cdf_) c /= sum;
  }
  uint32_t Draw(SplitMix64& rng) const {
    const double u = rng.UniformDouble();
    return static_cast<uint32_t>(std::upper_bound(cdf_.begin(), cdf_.end(), u) - cdf_.begin()) %
           static_cast<uint32_t>(cdf_.size());
  }

 private:
  std::vector<double> cdf_;  // cumulative probabilities
};

// Zipf shares p_i ~ (i+1)^-s over n items, summing to 1.
std::vector<double> ZipfShares(uint32_t n, double s) {
  std::vector<double> p(n);
  double sum = 0;
  for (uint32_t i = 0; i < n; ++i) sum += p[i] = std::pow(static_cast<double>(i + 1), -s);
  for (auto& v : p) v /= sum;
  return p;
}

// Draw weights that give a token's k distinct picks the inclusion probabilities k x share.
// k picks drawn one by one without replacement (redrawing repeats) include item i with
// probability ~ 1 - exp(-c w_i) (the usual approximation for successive sampling), so
// w_i = -ln(1 - k p_i) makes the share of assignments p_i itself; drawing by p_i would
// flatten the hot experts (E 256, k 8, s 0.6: max/mean 10.5 instead of 12.2).
std::vector<double> TopKDrawWeights(const std::vector<double>& share, uint32_t k) {
  std::vector<double> w(share.size());
  for (size_t i = 0; i < share.size(); ++i) w[i] = -std::log1p(-std::min(k * share[i], 0.999));
  return w;
}

// The fresh draws' weights when a share `copied` of a layer's picks are copies (proposing
// by share) and `favourite` are favourites (proposing by draw): together they propose by
// draw, clamped at 0 where the copies alone propose an expert too often.
Sampler FreshWeights(const std::vector<double>& draw, const std::vector<double>& share, double copied,
                     double favourite) {
  const double own = 1 - copied - favourite;
  if (own < 1e-3) return Sampler(draw);
  std::vector<double> w(draw.size());
  for (size_t i = 0; i < w.size(); ++i) w[i] = std::max(0.0, draw[i] * (1 - favourite) - copied * share[i]) / own;
  return Sampler(w);
}

std::vector<uint32_t> Permutation(uint32_t n, SplitMix64& rng) {
  std::vector<uint32_t> p(n);
  std::iota(p.begin(), p.end(), 0u);
  for (uint32_t i = n; i > 1; --i) std::swap(p[i - 1], p[rng.Next() % i]);
  return p;
}

size_t Index(const RoutingTrace& t, uint32_t token, uint32_t layer) {
  return (static_cast<size_t>(token) * t.num_layers + layer) * t.top_k;
}

[[noreturn]] void Bad(const std::string& path, size_t line, const std::string& what) {
  throw ConfigError(path + ":" + std::to_string(line) + ": " + what);
}

}  // namespace

Selection RoutingTrace::At(uint32_t token, uint32_t layer) const {
  MOEFAB_CHECK(token < num_tokens && layer < num_layers, "trace has no token " << token << " layer " << layer);
  const size_t i = Index(*this, token, layer);
  Selection s;
  s.experts.assign(experts.begin() + static_cast<std::ptrdiff_t>(i),
                   experts.begin() + static_cast<std::ptrdiff_t>(i + top_k));
  s.weights_q15.assign(weights_q15.begin() + static_cast<std::ptrdiff_t>(i),
                       weights_q15.begin() + static_cast<std::ptrdiff_t>(i + top_k));
  return s;
}

void ValidateSyntheticRoutingParams(const SyntheticRoutingParams& p) {
  std::ostringstream os;
  if (p.num_experts == 0 || p.top_k == 0 || p.top_k > p.num_experts)
    os << "top_k=" << p.top_k << ": expected 1..num_experts (" << p.num_experts << ")";
  else if (!p.zipf_s.empty() && p.zipf_s.size() != 1 && p.zipf_s.size() != p.num_layers)
    os << "zipf_s has " << p.zipf_s.size() << " values: expected 1 or num_layers (" << p.num_layers << ")";
  else if (std::any_of(p.zipf_s.begin(), p.zipf_s.end(), [](double s) { return !(s >= 0) || s > 4; }))
    os << "zipf_s: expected values in [0, 4]";
  else if (p.repeat_prob < 0 || p.affinity_prob < 0 || p.preference_prob < 0 ||
           p.repeat_prob + p.affinity_prob + p.preference_prob > 1)
    os << "repeat_prob + affinity_prob + preference_prob = " << p.repeat_prob + p.affinity_prob + p.preference_prob
       << ": expected each >= 0, sum <= 1";
  else if (p.streams == 0 || p.vocabulary == 0)
    os << "streams and vocabulary: expected >= 1";
  if (!os.str().empty()) throw ConfigError("synthetic routing: " + os.str());
}

RoutingTrace GenerateSyntheticRouting(const SyntheticRoutingParams& p) {
  ValidateSyntheticRoutingParams(p);
  RoutingTrace t;
  t.num_tokens = p.num_tokens;
  t.num_layers = p.num_layers;
  t.num_experts = p.num_experts;
  t.top_k = p.top_k;
  const size_t n = static_cast<size_t>(p.num_tokens) * p.num_layers * p.top_k;
  t.experts.resize(n);
  t.weights_q15.resize(n);
  SplitMix64 rng(MixSeed(p.seed, 0x7261));
  // Per layer: Zipf popularity over a random permutation of the expert ids (perm[l][r] is the
  // expert of popularity rank r). Every source of a pick keeps that popularity, so the mixture
  // has the layer's Zipf skew whatever its weights: the successor table maps the expert of
  // rank r at layer l-1 to the expert of rank r at layer l, a token id's favourites are drawn
  // from the layer's popularity (with the token id's own random stream), and a repeat copies a
  // pick of the same layer.
  //
  // A repeat or a successor copies a pick, so it proposes an expert with its share p_i, where
  // a fresh draw proposes by the heavier top-k weights w_i (TopKDrawWeights): the fresh draws
  // make up the difference, fresh[c] for case c = (repeat possible) + 2 x (affinity possible).
  // A source that is not possible passes its share on to the next one (below).
  struct Popularity {
    Sampler popular;              // favourites and redraws: by the top-k draw weights
    std::array<Sampler, 4> fresh;  // fresh draws, by case
  };
  const double r = p.repeat_prob, a = p.affinity_prob, f = p.preference_prob;
  const uint32_t E = p.num_experts;
  std::map<double, Popularity> by_exponent;  // layers of one Zipf exponent share their tables
  std::vector<const Popularity*> pop;
  std::vector<std::vector<uint32_t>> perm, successor;
  for (uint32_t l = 0; l < p.num_layers; ++l) {
    const double s = p.zipf_s.empty() ? 0.0 : p.zipf_s[p.zipf_s.size() == 1 ? 0 : l];
    auto it = by_exponent.find(s);
    if (it == by_exponent.end()) {
      const auto share = ZipfShares(E, s);
      auto draw = TopKDrawWeights(share, p.top_k);
      const double draw_sum = std::accumulate(draw.begin(), draw.end(), 0.0);
      for (auto& w : draw) w /= draw_sum;
      it = by_exponent
               .emplace(s, Popularity{Sampler(draw),
                                      {FreshWeights(draw, share, 0, r + a + f), FreshWeights(draw, share, r, a + f),
                                       FreshWeights(draw, share, r + a, f), FreshWeights(draw, share, r + a, f)}})
               .first;
    }
    pop.push_back(&it->second);
    perm.push_back(Permutation(E, rng));
    successor.emplace_back(E);
    if (l > 0)
      for (uint32_t r = 0; r < E; ++r) successor[l][perm[l - 1][r]] = perm[l][r];
  }
  const Sampler vocab(ZipfShares(p.vocabulary, 1.0));
  std::vector<uint32_t> picks;
  for (uint32_t tok = 0; tok < p.num_tokens; ++tok) {
    const uint32_t token_id = vocab.Draw(rng);
    for (uint32_t l = 0; l < p.num_layers; ++l) {
      picks.clear();
      const size_t here = Index(t, tok, l);
      for (uint32_t slot = 0; slot < p.top_k; ++slot) {
        const double u = rng.UniformDouble();
        uint32_t e;
        if (u < p.repeat_prob && tok >= p.streams) {
          e = t.experts[Index(t, tok - p.streams, l) + slot];
        } else if (u < p.repeat_prob + p.affinity_prob && l > 0) {
          e = successor[l][t.experts[Index(t, tok, l - 1) + slot]];
        } else if (u < p.repeat_prob + p.affinity_prob + p.preference_prob) {
          SplitMix64 favourite(MixSeed(p.seed, token_id, l, slot));
          e = perm[l][pop[l]->popular.Draw(favourite)];
        } else {
          e = perm[l][pop[l]->fresh[(tok >= p.streams ? 1 : 0) + (l > 0 ? 2 : 0)].Draw(rng)];
        }
        for (int tries = 0; std::find(picks.begin(), picks.end(), e) != picks.end(); ++tries)
          e = tries < 64 ? perm[l][pop[l]->popular.Draw(rng)] : (e + 1) % E;
        picks.push_back(e);
      }
      std::sort(picks.begin(), picks.end());
      // Weights: softmax of Gaussian scores (Box-Muller), renormalised, exact Q1.15 total.
      std::vector<double> w(p.top_k);
      double sum = 0;
      for (auto& v : w) {
        const double u1 = 1.0 - rng.UniformDouble(), u2 = rng.UniformDouble();
        v = std::exp(std::sqrt(-2 * std::log(u1)) * std::cos(2 * M_PI * u2));
        sum += v;
      }
      int64_t total = 0;
      size_t top = 0;
      for (uint32_t i = 0; i < p.top_k; ++i) {
        t.experts[here + i] = picks[i];
        const auto q = std::llround(w[i] / sum * kQ15One);
        t.weights_q15[here + i] = static_cast<uint32_t>(q);
        total += q;
        if (w[i] > w[top]) top = i;
      }
      t.weights_q15[here + top] = static_cast<uint32_t>(int64_t{t.weights_q15[here + top]} + kQ15One - total);
    }
  }
  return t;
}

void WriteRoutingTrace(const std::string& path, const RoutingTrace& t) {
  const std::string tmp = path + ".tmp";
  const TempFileGuard guard(tmp);  // an interrupt removes it
  {
    std::ofstream out(tmp, std::ios::trunc);
    if (!out) throw std::runtime_error("cannot write " + tmp);
    out << "moefab-routing-trace v1\n";
    out << "layers " << t.num_layers << " experts " << t.num_experts << " top_k " << t.top_k << " tokens "
        << t.num_tokens << "\n";
    for (uint32_t tok = 0; tok < t.num_tokens; ++tok)
      for (uint32_t l = 0; l < t.num_layers; ++l) {
        const size_t i = Index(t, tok, l);
        out << tok << ' ' << l << ' ';
        for (uint32_t k = 0; k < t.top_k; ++k) out << (k ? ";" : "") << t.experts[i + k];
        out << ' ';
        for (uint32_t k = 0; k < t.top_k; ++k) out << (k ? ";" : "") << t.weights_q15[i + k];
        out << '\n';
      }
    if (!out) {
      out.close();
      std::error_code ec;
      std::filesystem::remove(tmp, ec);  // a full disk leaves no partial file
      throw std::runtime_error("write failed: " + tmp);
    }
  }
  std::filesystem::rename(tmp, path);
}

RoutingTrace ReadRoutingTrace(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError(path + ": cannot open the routing trace");
  std::error_code size_error;
  const uint64_t file_bytes = std::filesystem::file_size(path, size_error);
  if (size_error) throw ConfigError(path + ": cannot read the routing trace: " + size_error.message());
  std::string line;
  size_t lineno = 0;
  auto next = [&]() {
    while (std::getline(in, line)) {
      ++lineno;
      const auto hash = line.find('#');
      if (hash != std::string::npos) line.resize(hash);
      if (line.find_first_not_of(" \t\r") != std::string::npos) return true;
    }
    return false;
  };
  if (!next() || line.rfind("moefab-routing-trace v1", 0) != 0)
    Bad(path, lineno, "expected the first line 'moefab-routing-trace v1'");
  RoutingTrace t;
  if (!next()) Bad(path, lineno, "missing the 'layers L experts E top_k K tokens N' line");
  {
    std::istringstream is(line);
    std::string a, b, c, d, l, e, k, n, extra;
    const auto count = [](const std::string& text, uint32_t lo, uint32_t hi, uint32_t& out) {
      const auto res = std::from_chars(text.data(), text.data() + text.size(), out);
      return !text.empty() && res.ec == std::errc() && res.ptr == text.data() + text.size() && out >= lo && out <= hi;
    };
    if (!(is >> a >> l >> b >> e >> c >> k >> d >> n) || (is >> extra) || a != "layers" || b != "experts" ||
        c != "top_k" || d != "tokens" || !count(l, 1, 4095, t.num_layers) ||
        !count(e, 1, (1u << 18) - 1, t.num_experts) || !count(k, 1, t.num_experts, t.top_k) ||
        !count(n, 1, UINT32_MAX, t.num_tokens))
      Bad(path, lineno,
          "expected 'layers L experts E top_k K tokens N' with 1 <= L < 4096, 1 <= E < 262144, 1 <= K <= E, "
          "1 <= N < 2^32, got '" +
              Printable(line) + "'");
  }
  // Every record takes at least 4K + 3 bytes: a header claiming more than the file holds is
  // refused before anything is allocated for it.
  const uint64_t min_bytes = uint64_t{t.num_tokens} * t.num_layers * (4 * uint64_t{t.top_k} + 3);
  if (min_bytes > file_bytes)
    Bad(path, lineno,
        "header claims " + std::to_string(t.num_tokens) + " tokens x " + std::to_string(t.num_layers) +
            " layers: expected a file of at least " + std::to_string(min_bytes) + " bytes, it has " +
            std::to_string(file_bytes));
  const size_t n = static_cast<size_t>(t.num_tokens) * t.num_layers * t.top_k;
  t.experts.assign(n, 0);
  t.weights_q15.assign(n, 0);
  std::vector<bool> seen(static_cast<size_t>(t.num_tokens) * t.num_layers, false);
  size_t records = 0;
  while (next()) {
    std::istringstream is(line);
    uint64_t tok = 0, layer = 0;
    std::string es, ws;
    if (!(is >> tok >> layer >> es >> ws))
      Bad(path, lineno, "expected '<token> <layer> <experts> <weights>', got '" + Printable(line) + "'");
    if (tok >= t.num_tokens || layer >= t.num_layers)
      Bad(path, lineno,
          "token " + std::to_string(tok) + " layer " + std::to_string(layer) + ": outside tokens " +
              std::to_string(t.num_tokens) + " x layers " + std::to_string(t.num_layers));
    const size_t rec = tok * t.num_layers + layer;
    if (seen[rec])
      Bad(path, lineno, "token " + std::to_string(tok) + " layer " + std::to_string(layer) + " appears twice");
    seen[rec] = true;
    auto parse = [&](const std::string& s, const char* what, auto* out, uint64_t limit) {
      std::istringstream ss(s);
      std::string item;
      uint32_t k = 0;
      while (std::getline(ss, item, ';')) {
        char* end = nullptr;
        const unsigned long long v = std::strtoull(item.c_str(), &end, 10);
        if (item.empty() || *end != '\0' || v > limit || k >= t.top_k)
          Bad(path, lineno,
              std::string(what) + " '" + Printable(s) + "': expected " + std::to_string(t.top_k) +
                  " ';'-separated integers <= " + std::to_string(limit));
        out[k++] = static_cast<uint32_t>(v);
      }
      if (k != t.top_k)
        Bad(path, lineno,
            std::string(what) + " '" + Printable(s) + "': expected " + std::to_string(t.top_k) + " values");
    };
    const size_t i = rec * t.top_k;
    parse(es, "experts", &t.experts[i], t.num_experts - 1);
    parse(ws, "weights", &t.weights_q15[i], 1u << 20);
    for (uint32_t k = 1; k < t.top_k; ++k)
      if (t.experts[i + k - 1] >= t.experts[i + k])
        Bad(path, lineno, "experts '" + Printable(es) + "': expected distinct ids in ascending order");
    ++records;
  }
  if (records != seen.size())
    Bad(path, lineno,
        "expected " + std::to_string(seen.size()) + " records (tokens x layers), found " + std::to_string(records));
  return t;
}

std::vector<double> ExpertLoadOf(const RoutingTrace& t) {
  std::vector<double> load(static_cast<size_t>(t.num_layers) * t.num_experts, 0);
  for (uint32_t tok = 0; tok < t.num_tokens; ++tok)
    for (uint32_t l = 0; l < t.num_layers; ++l)
      for (uint32_t k = 0; k < t.top_k; ++k)
        load[static_cast<size_t>(l) * t.num_experts + t.experts[Index(t, tok, l) + k]] += 1;
  const double total = static_cast<double>(t.num_tokens) * t.top_k;
  if (total > 0)
    for (auto& v : load) v /= total;
  return load;
}

}  // namespace moefab::router
