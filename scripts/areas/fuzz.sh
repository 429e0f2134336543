# about: each cargo-fuzz target over its committed corpus (fuzz/run.sh corpus)
# shellcheck shell=bash
area_fuzz() {
    step "fuzzing: each cargo-fuzz target over its committed corpus (fuzz/run.sh corpus; \`fuzz/run.sh full 60\` fuzzes)"
    bash fuzz/run.sh corpus 2>&1 | grep -vE '^\s+(Compiling|Finished|Downloaded|Downloading|Updating|Installing|Installed)\b'
}
