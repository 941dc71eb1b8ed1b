// "Did you mean": the candidate closest to a misspelt command, flag or target name. CLI11
// reports an unknown subcommand or flag but suggests nothing, so every `micronet` executable
// (the CLI, micronet-tune, micronet-compile, micronet-search, micronet-measure) asks this, and
// all of them answer a typo the same way.
#pragma once

#include <string>
#include <vector>

namespace micronet {

// Optimal-string-alignment distance (Levenshtein plus adjacent transpositions, each edit
// costing 1), ignoring ASCII case: "rnu" -> "run" and "--topK" -> "--topk" are 1 apart.
int edit_distance(const std::string& a, const std::string& b);

// The candidate nearest to `word` when it is close enough to be a typo (at most a third of
// the word's length, at least 1 and at most 3 edits), else the one candidate that `word`
// (3 characters at least) begins ("--latency" -> "--latency-ms"); "" otherwise or on a tie.
std::string closest_match(const std::string& word, const std::vector<std::string>& candidates);

// For each word of `args` that looks like a long flag ("--name" or "--name=value") and is
// not one of `known` (with their dashes): "\n  unknown flag --name (did you mean --nmae?)".
// "" when every flag is known. Words after a bare "--" are not flags.
std::string unknown_flag_hints(const std::vector<std::string>& known, const std::vector<std::string>& args);

}  // namespace micronet
