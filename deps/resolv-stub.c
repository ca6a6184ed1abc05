/*
 * A libresolv for Emscripten, whose libc has no res_query(): GLib's gio
 * will not configure without one. A wasm program has no DNS resolver to
 * talk to, so every query fails as on a host without name servers.
 * Built by deps/glib.sh into $prefix/lib/libresolv.a.
 */
#include <netdb.h>
#include <resolv.h>

int res_query(const char *dname, int class, int type,
              unsigned char *answer, int anslen)
{
    (void)dname; (void)class; (void)type; (void)answer; (void)anslen;
    h_errno = NO_RECOVERY;
    return -1;
}
