# Sourced by `./dev test` (and so by CI): the real services and tools the test suite uses, installed
# when missing (Debian/Ubuntu packages, through sudo unless root) and started when down. Idempotent
# and quick when everything is there already, so it runs before every test run.
#
#   Redis on 127.0.0.1:6379          the throttling tests' shared cache (TEST_REDIS_URL, database 3)
#   MariaDB on 127.0.0.1:3306        the Node import test's source database (NODE_SOURCE_URL), read
#                                    over MariaDB whichever database the suite itself runs on; a
#                                    user `authsite` (password `authsite`) that may create and drop
#                                    authsite, test_authsite and test_authsite_nodeapp*
#   chromium                         the browser tests (Playwright drives Debian's; never downloads)
#   node + npm, `npm ci`             the Node side of tests (every tests/*/package.json)
#
# Expects apt_install (from ./dev).

services_sudo() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

test_services() {
    local missing=()
    command -v redis-server >/dev/null || missing+=(redis-server redis-tools)
    { command -v mariadbd >/dev/null || [ -x /usr/sbin/mariadbd ]; } || missing+=(mariadb-server)
    [ -x /usr/bin/chromium ] || missing+=(chromium)
    command -v npm >/dev/null || missing+=(nodejs npm)
    if [ ${#missing[@]} -gt 0 ]; then
        apt_install "${missing[@]}"
    fi

    if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
        log "starting Redis"
        services_sudo mkdir -p /var/lib/redis /var/log/redis
        services_sudo redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" \
            --appendonly no --dir /var/lib/redis --logfile /var/log/redis/authsite-tests.log
        for _ in $(seq 30); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break; sleep 1; done
        redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 || { log "Redis did not come up"; return 1; }
    fi

    mariadb_up() { mariadb-admin --protocol=tcp -h 127.0.0.1 -u authsite -pauthsite ping >/dev/null 2>&1 \
        || mariadb-admin --protocol=tcp -h 127.0.0.1 -u root ping >/dev/null 2>&1; }
    if ! mariadb_up; then
        log "starting MariaDB"
        services_sudo mkdir -p /run/mysqld
        services_sudo chown mysql:mysql /run/mysqld 2>/dev/null || true
        services_sudo start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd
        for _ in $(seq 60); do mariadb_up && break; sleep 1; done
        mariadb_up || { log "MariaDB did not come up"; return 1; }
    fi
    # SQL as MariaDB's root: over TCP where root may log in there without a password, else over
    # the socket (a fresh Debian install authenticates root@localhost by unix_socket).
    local grants="CREATE USER IF NOT EXISTS 'authsite'@'127.0.0.1' IDENTIFIED BY 'authsite';
        GRANT ALL PRIVILEGES ON authsite.* TO 'authsite'@'127.0.0.1';
        GRANT ALL PRIVILEGES ON test_authsite.* TO 'authsite'@'127.0.0.1';
        GRANT ALL PRIVILEGES ON \`test\\_authsite\\_nodeapp%\`.* TO 'authsite'@'127.0.0.1';"
    mariadb --protocol=tcp -h 127.0.0.1 -u root -e "$grants" 2>/dev/null \
        || services_sudo mariadb -u root -e "$grants" \
        || { log "could not create the MariaDB user authsite"; return 1; }

    local package folder stamp want
    for package in tests/*/package.json; do
        [ -f "$package" ] || continue
        folder=$(dirname "$package")
        stamp="$folder/node_modules/.package-lock.sha256"
        want=$(sha256sum "$folder/package-lock.json" | cut -d' ' -f1)
        if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
            log "npm ci in $folder"
            npm ci --prefix "$folder" --no-audit --no-fund --loglevel=error
            echo "$want" >"$stamp"
        fi
    done

    export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
    export NODE_SOURCE_URL=${NODE_SOURCE_URL:-mysql://authsite:authsite@127.0.0.1:3306/test_authsite_nodeapp}
}
