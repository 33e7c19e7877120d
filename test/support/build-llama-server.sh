#!/usr/bin/env bash
# Builds llama.cpp's llama-server and llama-bench from the source node-llama-cpp ships
# (llama/gitRelease.bundle), compiling only their own objects (server, mtmd, cpp-httplib, the empty
# web UI, llama-bench) and linking
# them against node-llama-cpp's prebuilt libllama/libggml/libllama-common of the same release, so
# the server runs the very inference code the llama-cpp engine loads. A full build is much longer.
# The binaries and their libraries are cached; prints llama-server's path on stdout (llama-bench is
# beside it), progress on stderr.
# Needs git, cmake, make, g++ (.ci/run installs them when missing).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
nlc="$root/node_modules/node-llama-cpp"
bins="$root/node_modules/@node-llama-cpp/linux-x64/bins/linux-x64"
bundle="$nlc/llama/gitRelease.bundle"
[ -f "$bundle" ] || { echo "build-llama-server: $bundle missing (run npm ci)" >&2; exit 2; }
[ -d "$bins" ] || { echo "build-llama-server: prebuilt binaries $bins missing (linux-x64 only)" >&2; exit 2; }
for tool in git cmake make g++; do
  command -v "$tool" >/dev/null || { echo "build-llama-server: $tool is not installed" >&2; exit 2; }
done

version="$(node -p "require('$nlc/package.json').version")"
release="$(node -p "require('$nlc/llama/binariesGithubRelease.json').release")"
cache="${TOKENBENCH_LLAMA_SERVER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tokenbench/llama-server}/nlc-$version-$release"
if [ -x "$cache/llama-server" ] && "$cache/llama-server" --version >/dev/null 2>&1 && [ -x "$cache/llama-bench" ]; then
  echo "$cache/llama-server"; exit 0
fi

# a failed or interrupted build resumes where it stopped
work="$cache.work"
mkdir -p "$work"
jobs="$(nproc)"
log() { echo "build-llama-server: $* ($(date +%T))" >&2; }
if [ ! -f "$work/src/CMakeLists.txt" ]; then
  log "cloning the bundled llama.cpp source"
  rm -rf "$work/src"
  git clone -q "$bundle" "$work/src" 2>/dev/null
fi
log "configuring"
cmake -S "$work/src" -B "$work/build" -G "Unix Makefiles" -DCMAKE_BUILD_TYPE=Release \
  -DBUILD_SHARED_LIBS=ON -DGGML_NATIVE=OFF -DGGML_BACKEND_DL=ON -DGGML_CPU_ALL_VARIANTS=OFF \
  -DLLAMA_BUILD_SERVER=ON -DLLAMA_BUILD_TOOLS=ON -DLLAMA_BUILD_COMMON=ON -DLLAMA_BUILD_TESTS=OFF \
  -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_APP=OFF -DLLAMA_BUILD_UI=OFF -DLLAMA_USE_PREBUILT_UI=OFF \
  -DLLAMA_OPENSSL=OFF -DLLAMA_SUBPROCESS=ON -DLLAMA_ALL_WARNINGS=OFF \
  -DCMAKE_BUILD_RPATH='$ORIGIN' >"$work/configure.log" 2>&1 \
  || { tail -20 "$work/configure.log" >&2; exit 1; }

# The prebuilt libraries stand where the build would have put its own (under every name the link
# lines use), so the server's objects link against them.
out="$work/build/bin"
mkdir -p "$out"
cp "$bins"/*.so "$out/"
for name in $(grep -rhoE 'bin/lib(llama|ggml|ggml-base|llama-common)\.so[.0-9]*' "$work/build" --include=link.txt | sort -u); do
  base="${name#bin/}"
  case "$base" in
    libllama-common.so*) target=libllama-common.so ;;
    libllama.so*) target="libllama.$release.so" ;;
    libggml-base.so*) target=libggml-base.so ;;
    libggml.so*) target="libggml.$release.so" ;;
  esac
  [ "$base" = "$target" ] || ln -sf "$target" "$out/$base"
done

# target/fast builds one target without its dependencies (libllama, ggml: prebuilt above).
for target in llama-ui-embed llama-ui-assets llama-ui cpp-httplib vendor-hash llama-common-base mtmd server-context llama-server-impl llama-server llama-bench-impl llama-bench; do
  log "building $target"
  fast="$target/fast"
  [ "$target" = llama-ui-assets ] && fast="$target"
  make -C "$work/build" -j"$jobs" "$fast" >"$work/make.log" 2>&1 || { tail -30 "$work/make.log" >&2; exit 1; }
done

mkdir -p "$(dirname "$cache")"
staged="$cache.tmp.$$"
rm -rf "$staged"; mkdir -p "$staged"
cp "$out"/llama-server "$out"/llama-bench "$staged/"
cp -P "$out"/*.so* "$staged/"
"$staged/llama-server" --version >/dev/null 2>&1 || { echo "build-llama-server: built binary does not run" >&2; "$staged/llama-server" --version >&2 || true; exit 1; }
"$staged/llama-bench" --help >/dev/null 2>&1 || { echo "build-llama-server: built llama-bench does not run" >&2; exit 1; }
rm -rf "$cache"; mv "$staged" "$cache"
rm -rf "$work"
log "built $cache/llama-server and llama-bench"
echo "$cache/llama-server"
