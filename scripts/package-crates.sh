#!/usr/bin/env bash
# Packages the publishable crates of the workspace (every member without `publish = false`: koko-core and koko-cli)
# with `cargo package`, which also verifies each one by building it from its unpacked .crate (koko-cli against the
# packaged koko-core, as a registry would serve it). Then prints each .crate's name, size and file count, and fails
# if a package lacks LICENSE-MIT, LICENSE-APACHE or README.md.
#
# Arguments go to `cargo package` (e.g. `--no-verify` to skip the build). The working tree may hold uncommitted
# changes (`--allow-dirty`): this checks what would be packaged, it publishes nothing.
#
# Cargo serves the packaged koko-core to koko-cli's verification from a temporary local registry, and treats a
# registry crate of a given version as immutable: it unpacks it once under $CARGO_HOME/registry/src/-<hash>/ and
# keeps its compiled artifacts by version. So a second run would verify koko-cli against the koko-core of the
# first. Hence packaging builds in a target directory of its own (target/package-crates: the workspace's
# artifacts are untouched), and each run first drops the unpacked copies and compiled artifacts of the crates it
# packages, and only those.
set -euo pipefail
cd "$(dirname "$0")/.."

metadata=$(cargo metadata --locked --no-deps --format-version 1)
# "name version" of each publishable member (`publish` is null, or names a registry), and cargo's target directory.
mapfile -t crates < <(python3 -c '
import json, sys
meta = json.load(sys.stdin)
members = set(meta["workspace_members"])
for p in meta["packages"]:
    if p["id"] in members and p["publish"] != []:
        print(p["name"], p["version"])
' <<<"$metadata")
target_dir=$(python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])' <<<"$metadata")
if [ "${#crates[@]}" -eq 0 ]; then
    echo "no publishable crate in the workspace" >&2
    exit 1
fi

package_dir="$target_dir/package-crates"
package_args=()
cargo_home=${CARGO_HOME:-$HOME/.cargo}
for crate in "${crates[@]}"; do
    name=${crate% *}
    version=${crate#* }
    package_args+=(-p "$name")
    # Local registries have no host name, so their unpack directories are named "-<hash>".
    rm -rf "$cargo_home"/registry/src/-*/"$name-$version"
done
cargo clean --quiet --target-dir "$package_dir" "${package_args[@]}"
cargo package --locked --allow-dirty --target-dir "$package_dir" "${package_args[@]}" "$@"

missing=0
for crate in "${crates[@]}"; do
    name=${crate% *}
    version=${crate#* }
    file="$package_dir/package/$name-$version.crate"
    files=$(tar -tzf "$file")
    printf '%s: %s bytes, %s files\n' "$(basename "$file")" "$(stat -c %s "$file")" "$(grep -vc '/$' <<<"$files")"
    for required in LICENSE-MIT LICENSE-APACHE README.md; do
        # The licence files are symlinks to the repository root's: the package must hold their text, not a link.
        if ! grep -qx "$name-$version/$required" <<<"$files" ||
            [ -z "$(tar -xzOf "$file" "$name-$version/$required" | head -c 1)" ]; then
            echo "$name $version: $required is missing or empty in $(basename "$file")" >&2
            missing=1
        fi
    done
done
exit "$missing"
