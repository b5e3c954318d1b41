#!/usr/bin/env bash
# Make sure MariaDB answers on 127.0.0.1:3306 (it is installed on the machine; start it
# if it is down). Fails loudly: the MySQL-backed tests must never be skipped.
set -euo pipefail
ping_db() { mysqladmin --protocol=tcp -h127.0.0.1 -P3306 -uroot ping >/dev/null 2>&1; }
if ping_db; then exit 0; fi
echo "MariaDB is not answering on 127.0.0.1:3306; starting it ..." >&2
if command -v start-stop-daemon >/dev/null && [ -x /usr/sbin/mariadbd ]; then
  mkdir -p /run/mysqld && chown mysql:mysql /run/mysqld 2>/dev/null || true
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd
elif command -v service >/dev/null; then
  service mariadb start || service mysql start
fi
for _ in $(seq 1 60); do
  if ping_db; then echo "MariaDB is up." >&2; exit 0; fi
  sleep 1
done
echo "FATAL: MariaDB could not be started on 127.0.0.1:3306" >&2
exit 1
