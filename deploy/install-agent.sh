#!/usr/bin/env bash
# Install the dts agent on this host from three files: the one-file agent (dist/dts-agent.mjs),
# the systemd unit (deploy/dts-agent.service) and an env file with its settings.
#
#   sudo deploy/install-agent.sh --env ./agent.env                  # files beside this script
#   sudo deploy/install-agent.sh --agent dts-agent.mjs --unit dts-agent.service --env agent.env
#   sudo deploy/install-agent.sh --uninstall
#   deploy/install-agent.sh --root /tmp/r --env agent.env            # into a throwaway root
#
# Idempotent: a second run with the same files changes nothing and restarts nothing. With
# --root (or --no-systemctl) it only places files; otherwise it reloads systemd and enables and
# (re)starts the service when something changed. --uninstall stops and removes everything it
# installed, and the directories it made when they are empty.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root=""
agent=""
unit=""
envfile=""
uninstall=0
systemctl_too=1

usage() { sed -n '2,14p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit "${1:-2}"; }
die() { echo "install-agent: $*" >&2; exit 1; }
say() { echo "install-agent: $*"; }

while [ $# -gt 0 ]; do
  case "$1" in
    --root) root="${2:?--root needs a directory}"; shift 2 ;;
    --agent) agent="${2:?--agent needs a file}"; shift 2 ;;
    --unit) unit="${2:?--unit needs a file}"; shift 2 ;;
    --env) envfile="${2:?--env needs a file}"; shift 2 ;;
    --uninstall) uninstall=1; shift ;;
    --no-systemctl) systemctl_too=0; shift ;;
    -h|--help) usage 0 ;;
    *) echo "install-agent: unknown option $1" >&2; usage 2 ;;
  esac
done

if [ -n "$root" ]; then
  [ -d "$root" ] || die "--root $root is not a directory"
  root="$(cd "$root" && pwd)"
  systemctl_too=0
fi
opt_dir="$root/opt/dts"
etc_dir="$root/etc/dts"
unit_dir="$root/etc/systemd/system"
agent_dst="$opt_dir/dts-agent.mjs"
env_dst="$etc_dir/agent.env"
unit_dst="$unit_dir/dts-agent.service"

systemd() {
  [ "$systemctl_too" = 1 ] || return 0
  command -v systemctl >/dev/null || { say "no systemctl: files placed, service not started"; return 0; }
  systemctl "$@"
}

# Copy $1 to $2 with mode $3 unless $2 already holds the same bytes; echo "changed" when copied.
place() {
  local src="$1" dst="$2" mode="$3"
  if [ -f "$dst" ] && cmp -s "$src" "$dst"; then
    if [ "$(stat -c %a "$dst")" != "$mode" ]; then chmod "$mode" "$dst"; echo changed; fi
    return 0
  fi
  mkdir -p "$(dirname "$dst")"
  local tmp
  tmp="$(mktemp "$dst.XXXXXX")"
  cat "$src" > "$tmp"
  chmod "$mode" "$tmp"
  mv -f "$tmp" "$dst"
  echo changed
}

if [ "$uninstall" = 1 ]; then
  if [ -f "$unit_dst" ]; then
    systemd disable --now dts-agent.service || true
  fi
  removed=0
  for f in "$unit_dst" "$agent_dst" "$env_dst"; do
    if [ -e "$f" ]; then rm -f "$f"; removed=$((removed + 1)); fi
  done
  for d in "$opt_dir" "$etc_dir"; do
    [ -d "$d" ] && rmdir "$d" 2>/dev/null || true
  done
  [ "$removed" -gt 0 ] && systemd daemon-reload
  say "uninstalled ($removed file(s) removed)"
  exit 0
fi

# The files to install: given, or beside this script (a checkout's dist/ and deploy/).
if [ -z "$agent" ]; then
  for c in "$here/dts-agent.mjs" "$here/../dist/dts-agent.mjs"; do [ -f "$c" ] && { agent="$c"; break; }; done
fi
[ -z "$unit" ] && unit="$here/dts-agent.service"
[ -n "$agent" ] && [ -f "$agent" ] || die "no agent file: pass --agent dts-agent.mjs (npm run build makes dist/dts-agent.mjs)"
[ -f "$unit" ] || die "no unit file $unit: pass --unit dts-agent.service"
head -c 200 "$agent" | grep -q '^#!/usr/bin/env node' || die "$agent is not the dts agent bundle"
if [ -z "$envfile" ]; then
  [ -f "$env_dst" ] || die "pass --env FILE: it sets DTS_HEARTBEATS_QUEUE_URL (or DTS_STACK) and AWS_REGION (see docs/AGENT.md)"
else
  [ -f "$envfile" ] || die "no env file $envfile"
  grep -Eq '^(DTS_HEARTBEATS_QUEUE_URL|DTS_STACK)=.+' "$envfile" || die "$envfile sets neither DTS_HEARTBEATS_QUEUE_URL nor DTS_STACK"
fi
if [ "$systemctl_too" = 1 ]; then
  command -v node >/dev/null || die "node is not installed (the agent needs Node >= 20)"
  major="$(node -p 'process.versions.node.split(".")[0]')"
  [ "$major" -ge 20 ] || die "node $(node --version) is too old: the agent needs Node >= 20"
fi

changed=""
changed+="$(place "$agent" "$agent_dst" 644)"
changed+="$(place "$unit" "$unit_dst" 644)"
# The env file may hold credentials: root only (systemd reads it before dropping privileges).
[ -n "$envfile" ] && changed+="$(place "$envfile" "$env_dst" 600)"

if [ -z "$changed" ]; then
  say "already installed, nothing changed"
  exit 0
fi
systemd daemon-reload
systemd enable dts-agent.service
systemd restart dts-agent.service
say "installed $agent_dst, $unit_dst and $env_dst"
