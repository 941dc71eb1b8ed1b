// "Did you mean": the candidate closest to a misspelt command or flag name. CLI11 reports
// an unknown subcommand or flag but suggests nothing, so the error handler asks this.
#pragma once

#include <string>
#include <vector>

namespace micronet::cli {

// Optimal-string-alignment distance (Levenshtein plus adjacent transpositions, each edit
// costing 1), ignoring ASCII case: "rnu" -> "run" and "--topK" -> "--topk" are 1 apart.
int edit_distance(const std::string& a, const std::string& b);

// The candidate nearest to `word` when it is close enough to be a typo (at most a third of
// the word's length, at least 1 and at most 3 edits); "" otherwise or on a tie.
std::string closest_match(const std::string& word, const std::vector<std::string>& candidates);

}  // namespace micronet::cli
