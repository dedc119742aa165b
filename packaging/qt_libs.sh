# Sourced by setup.sh (and by tests/test_setup_script.py): finds and installs the system libraries
# that Qt's xcb platform plugin needs, on Debian/Ubuntu. Expects $VENV and a `say` function.

QT_SYSTEM_PACKAGES="libegl1 libgl1 libfontconfig1 libxkbcommon0 libxkbcommon-x11-0 libdbus-1-3 libglib2.0-0
    libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0 libxcb-randr0 libxcb-render-util0
    libxcb-shape0 libxcb-xinerama0 libxcb-xkb1 libx11-xcb1"

qt_missing_report() {
    # The "not found" lines of ldd for Qt's GUI libraries and its xcb plugin (nothing when all is there).
    local qt report
    qt=$(echo "$VENV"/lib/python*/site-packages/PySide6/Qt)
    report=$(ldd "$qt/lib/libQt6Gui.so.6" "$qt/lib/libQt6Widgets.so.6" "$qt/plugins/platforms/libqxcb.so" \
        "$qt/lib/libQt6XcbQpa.so.6" 2>/dev/null || true)
    # Read ldd's whole output before searching it: `ldd ... | grep -q` under pipefail reads
    # "nothing missing" whenever grep exits at the first match and ldd dies of SIGPIPE.
    grep "not found" <<<"$report" | sed 's/^[[:space:]]*//' | sort -u || true
}

qt_libs_missing() {
    # Succeeds when a library that Qt's GUI or its xcb platform plugin links against is not found.
    [ -n "$(qt_missing_report)" ]
}

install_qt_system_libs() {
    [ "$(uname -s)" = Linux ] || return 0
    qt_libs_missing || return 0
    if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
        say "installing Qt's system libraries"
        apt-get update -qq >/dev/null
        # shellcheck disable=SC2086
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $QT_SYSTEM_PACKAGES >/dev/null
        if qt_libs_missing; then
            say "Qt still misses system libraries after installing $QT_SYSTEM_PACKAGES:"
            qt_missing_report >&2
        fi
    else
        say "Qt needs these system packages; please install them: $QT_SYSTEM_PACKAGES"
    fi
}
