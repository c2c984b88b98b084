# Shared by the set-up and test scripts (sourced, not run).

step() { printf '\n== %s\n' "$*"; }

# Installs those of the given Debian packages that are missing (apt-get; sudo when not root).
install_missing() {
  local missing="" p sudo=""
  [ "$(id -u)" = 0 ] || sudo=sudo
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
  [ -n "$missing" ] || return 0
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $missing > /dev/null
}
