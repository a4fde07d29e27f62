#!/usr/bin/env bash
# What the suite needs from Debian and the machine: chromium and a Chinese font for the
# browser tests, mosquitto for the broker fault runs, PostgreSQL and Mosquitto running.
# Installs only what is missing, and only as root (otherwise it says what to install).
set -euo pipefail

need_apt=()
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
dpkg -s fonts-wqy-microhei >/dev/null 2>&1 || need_apt+=(fonts-wqy-microhei)
command -v mosquitto >/dev/null 2>&1 || [ -x /usr/sbin/mosquitto ] || need_apt+=(mosquitto)
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "== missing Debian packages: ${need_apt[*]} (run: sudo apt-get install ${need_apt[*]})" >&2
  else
    echo "== installing ${need_apt[*]} from Debian"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
  fi
fi

if [[ "${YIYANG_DATABASE_URL:-}" == postgresql* ]] && command -v pg_isready >/dev/null 2>&1 \
   && ! pg_isready -q -h 127.0.0.1 -p 5432 && [ -d /etc/postgresql ]; then
  echo "== starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start
fi

if ! (exec 3<>/dev/tcp/127.0.0.1/1883) 2>/dev/null && [ -x /usr/sbin/mosquitto ]; then
  echo "== starting Mosquitto on 127.0.0.1:1883"
  printf 'listener 1883 127.0.0.1\nallow_anonymous true\n' > /tmp/yiyang-mosquitto.conf
  /usr/sbin/mosquitto -d -c /tmp/yiyang-mosquitto.conf
  sleep 1
fi
