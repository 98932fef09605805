#!/bin/sh
# make-rootfs.sh — build the minimal root filesystem the Covenant gVisor runner boots agents in.
#
# Usage: scripts/make-rootfs.sh [--install-deps] [--node PATH] DEST
#
# Everything comes from this machine: no download outside Debian's package registry.
#   /bin/sh      busybox from Debian's `busybox-static` (statically linked) when installed,
#                otherwise the host's dash plus the shared libraries it needs
#   /usr/bin/node the host's node (`command -v node`, or --node PATH / $COVENANT_NODE_BIN)
#                plus every shared library `ldd` reports and the dynamic loader
#   /etc/passwd, /etc/group (root and nobody), /etc/hosts (localhost only)
#   /tmp, /workspace, /dev, /proc, /sys: empty mount points (runsc mounts them)
#
# Apt packages (installed only with --install-deps, which needs root and apt-get):
#   busybox-static  optional: a static /bin/sh with the usual applets (falls back to dash)
#   runsc           not needed to build the rootfs, but needed to use it; installed here so
#                   one CI step prepares the host
# The `node` binary must already be on PATH (the same one that runs covenantd).
#
# Idempotent: the rootfs is assembled in DEST.partial and swapped into place, so running it
# again rebuilds DEST from scratch. DEST must be absent, empty, or a rootfs this script built
# earlier (marked by DEST/.covenant-rootfs); anything else is refused.
# On success it prints the absolute path of the rootfs on stdout (and nothing else).
set -eu

die() {
  echo "make-rootfs: $*" >&2
  exit 1
}

usage() {
  echo "usage: scripts/make-rootfs.sh [--install-deps] [--node PATH] DEST" >&2
  exit 2
}

INSTALL_DEPS=0
NODE_BIN="${COVENANT_NODE_BIN:-}"
DEST=""
while [ $# -gt 0 ]; do
  case "$1" in
    --install-deps) INSTALL_DEPS=1 ;;
    --node)
      [ $# -ge 2 ] || usage
      NODE_BIN="$2"
      shift
      ;;
    --node=*) NODE_BIN="${1#--node=}" ;;
    -h | --help)
      awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0" >&2
      exit 0
      ;;
    -*) echo "make-rootfs: unknown option $1" >&2; usage ;;
    *)
      [ -z "$DEST" ] || usage
      DEST="$1"
      ;;
  esac
  shift
done
[ -n "$DEST" ] || usage

[ "$(uname -s)" = "Linux" ] || die "the gVisor rootfs can only be built on Linux (this is $(uname -s))"

if [ "$INSTALL_DEPS" = 1 ]; then
  command -v apt-get >/dev/null 2>&1 || die "--install-deps needs apt-get (Debian/Ubuntu)"
  SUDO=""
  if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null 2>&1 || die "--install-deps needs root (or sudo)"
    SUDO="sudo"
  fi
  echo "make-rootfs: installing busybox-static runsc with apt-get" >&2
  $SUDO apt-get update >&2 || die "apt-get update failed"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends busybox-static runsc >&2 \
    || die "apt-get install busybox-static runsc failed"
fi

command -v ldd >/dev/null 2>&1 || die "ldd not found (Debian package libc-bin): cannot resolve node's shared libraries"

if [ -z "$NODE_BIN" ]; then
  NODE_BIN="$(command -v node 2>/dev/null || true)"
  [ -n "$NODE_BIN" ] || die "node not found on PATH: install Node.js 20 (or pass --node PATH)"
fi
[ -x "$NODE_BIN" ] || die "node binary $NODE_BIN is missing or not executable"
NODE_BIN="$(readlink -f "$NODE_BIN")"

# Resolve DEST to an absolute path without requiring it to exist.
case "$DEST" in
  /*) ;;
  *) DEST="$(pwd)/$DEST" ;;
esac
DEST="$(echo "$DEST" | sed -e 's#/\{2,\}#/#g' -e 's#/$##')"
[ -n "$DEST" ] && [ "$DEST" != "/" ] || die "refusing to build a rootfs at /"
PARENT="$(dirname "$DEST")"
mkdir -p "$PARENT" || die "cannot create $PARENT"
DEST="$(cd "$PARENT" && pwd -P)/$(basename "$DEST")"

MARKER=".covenant-rootfs"
if [ -e "$DEST" ] || [ -L "$DEST" ]; then
  [ -d "$DEST" ] && [ ! -L "$DEST" ] || die "$DEST exists and is not a directory"
  if [ ! -e "$DEST/$MARKER" ] && [ -n "$(ls -A "$DEST")" ]; then
    die "$DEST is a non-empty directory that make-rootfs.sh did not build (no $MARKER): refusing to replace it"
  fi
fi

STAGE="$DEST.partial"
rm -rf "$STAGE"
mkdir -p "$STAGE"
trap 'rm -rf "$STAGE"' EXIT INT TERM

# Merged-/usr layout, like Debian 12: /bin, /lib, /lib64, /sbin point into /usr.
mkdir -p "$STAGE/usr/bin" "$STAGE/usr/sbin" "$STAGE/usr/lib" "$STAGE/usr/lib64"
ln -s usr/bin "$STAGE/bin"
ln -s usr/sbin "$STAGE/sbin"
ln -s usr/lib "$STAGE/lib"
ln -s usr/lib64 "$STAGE/lib64"
mkdir -p "$STAGE/etc" "$STAGE/dev" "$STAGE/proc" "$STAGE/sys" "$STAGE/workspace" "$STAGE/root"
mkdir -p "$STAGE/tmp"
chmod 1777 "$STAGE/tmp"

# copy_file SRC: copy SRC (following symlinks) to the same absolute path inside the rootfs.
copy_file() {
  src="$1"
  [ -e "$src" ] || die "$src is missing"
  dst="$STAGE$src"
  mkdir -p "$(dirname "$dst")"
  cp -L --preserve=mode "$src" "$dst"
}

# copy_with_libs BIN: copy BIN and every shared object ldd lists (including the loader).
copy_with_libs() {
  bin="$1"
  copy_file "$bin"
  libs="$(ldd "$bin" 2>/dev/null || true)"
  case "$libs" in
    *"not a dynamic executable"* | *"statically linked"* | "") return 0 ;;
  esac
  if echo "$libs" | grep -q "not found"; then
    die "$bin needs libraries that are missing on this host: $(echo "$libs" | grep "not found" | tr -s ' \t' ' ')"
  fi
  echo "$libs" | awk '
    $2 == "=>" && $3 ~ /^\// { print $3; next }
    $1 ~ /^\// { print $1 }
  ' | while read -r lib; do
    copy_file "$lib"
  done
}

# --- node -------------------------------------------------------------------------------
copy_with_libs "$NODE_BIN"
if [ "$NODE_BIN" != "/usr/bin/node" ]; then
  # Agents are started as /usr/bin/node whatever the host path was.
  cp -L --preserve=mode "$NODE_BIN" "$STAGE/usr/bin/node"
fi

# --- shell ------------------------------------------------------------------------------
BUSYBOX=""
for candidate in /bin/busybox /usr/bin/busybox; do
  if [ -x "$candidate" ] && ldd "$candidate" 2>&1 | grep -q -E "not a dynamic executable|statically linked"; then
    BUSYBOX="$candidate"
    break
  fi
done
if [ -n "$BUSYBOX" ]; then
  cp -L --preserve=mode "$BUSYBOX" "$STAGE/usr/bin/busybox"
  for applet in $("$BUSYBOX" --list); do
    case "$applet" in
      busybox | node) continue ;;
    esac
    [ -e "$STAGE/usr/bin/$applet" ] || ln -s busybox "$STAGE/usr/bin/$applet"
  done
  SHELL_KIND="busybox-static ($BUSYBOX)"
else
  DASH="$(command -v dash 2>/dev/null || true)"
  [ -n "$DASH" ] || die "no shell to copy: install busybox-static (apt-get install busybox-static, or pass --install-deps) or dash"
  DASH="$(readlink -f "$DASH")"
  copy_with_libs "$DASH"
  [ -e "$STAGE/usr/bin/dash" ] || cp -L --preserve=mode "$DASH" "$STAGE/usr/bin/dash"
  ln -sf dash "$STAGE/usr/bin/sh"
  SHELL_KIND="dash ($DASH)"
fi

# --- /etc ---------------------------------------------------------------------------------
cat >"$STAGE/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
cat >"$STAGE/etc/group" <<'EOF'
root:x:0:
nogroup:x:65534:
EOF
cat >"$STAGE/etc/hosts" <<'EOF'
127.0.0.1 localhost
::1 localhost
EOF
: >"$STAGE/etc/resolv.conf"
chmod 0644 "$STAGE/etc/passwd" "$STAGE/etc/group" "$STAGE/etc/hosts" "$STAGE/etc/resolv.conf"

# --- sanity -------------------------------------------------------------------------------
[ -x "$STAGE/bin/sh" ] || die "internal error: $STAGE/bin/sh was not created"
[ -x "$STAGE/usr/bin/node" ] || die "internal error: $STAGE/usr/bin/node was not created"
# The loader must be where node's ELF header says it is.
INTERP="$(ldd "$NODE_BIN" | awk '$1 ~ /^\/.*ld-linux/ { print $1; exit }')"
if [ -n "$INTERP" ]; then
  [ -e "$STAGE$INTERP" ] || die "internal error: dynamic loader $INTERP missing from the rootfs"
fi

{
  echo "built-by=scripts/make-rootfs.sh"
  echo "node=$NODE_BIN ($("$NODE_BIN" --version 2>/dev/null || echo unknown))"
  echo "shell=$SHELL_KIND"
} >"$STAGE/$MARKER"

# The rootfs is mounted read-only; keep it owned by root and not writable by others.
chmod -R go-w "$STAGE" 2>/dev/null || true
chmod 1777 "$STAGE/tmp"

rm -rf "$DEST"
mv "$STAGE" "$DEST"
trap - EXIT INT TERM
echo "$DEST"
