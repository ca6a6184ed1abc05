/*
 * Smoke test for the static wasm32 dependency prefix (scripts/deps.sh
 * --check): link GLib, gio, Pixman and zlib statically, run with node
 * under -sPROXY_TO_PTHREAD, and touch each library once: a hash table,
 * a main loop with an idle and a timeout source, a second thread, GRegex
 * (pcre2), a GClosure through the generic marshaller (libffi), zlib and
 * a Pixman fill. Callbacks have exactly the signature GLib calls them
 * with: wasm traps on a mismatched call.
 *
 * Not tested because unpatched GLib 2.84 traps there (call_indirect
 * signature mismatch from its own casts): creating any GObject (class
 * init functions cast to GClassInitFunc), g_list/g_slist/g_queue_free_full,
 * g_list_sort, g_slist_insert_sorted, g_tree_new, g_ptr_array_sort.
 */
#include <glib.h>
#include <glib-object.h>
#include <gio/gio.h>
#include <gmodule.h>
#include <pixman.h>
#include <zlib.h>
#include <string.h>

static int failures;

#define CHECK(cond) do { \
        if (!(cond)) { g_printerr("FAIL: %s (line %d)\n", #cond, __LINE__); \
                       failures++; } \
    } while (0)

static void sum_values(gpointer key, gpointer value, gpointer user_data)
{
    (void)key;
    *(int *)user_data += GPOINTER_TO_INT(value);
}

static void test_hash_table(void)
{
    GHashTable *h = g_hash_table_new_full(g_str_hash, g_str_equal,
                                          g_free, NULL);
    int sum = 0;

    for (int i = 1; i <= 100; i++) {
        g_hash_table_insert(h, g_strdup_printf("k%d", i), GINT_TO_POINTER(i));
    }
    CHECK(g_hash_table_size(h) == 100);
    CHECK(GPOINTER_TO_INT(g_hash_table_lookup(h, "k42")) == 42);
    CHECK(g_hash_table_remove(h, "k1"));
    g_hash_table_foreach(h, sum_values, &sum);
    CHECK(sum == 5050 - 1);
    g_hash_table_destroy(h);
}

typedef struct {
    GMainLoop *loop;
    int idle_runs;
    gboolean timed_out;
} LoopState;

static gboolean on_idle(gpointer data)
{
    LoopState *s = data;
    return ++s->idle_runs < 10 ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

static gboolean on_timeout(gpointer data)
{
    LoopState *s = data;
    s->timed_out = TRUE;
    g_main_loop_quit(s->loop);
    return G_SOURCE_REMOVE;
}

static gpointer worker(gpointer data)
{
    GAsyncQueue *q = data;
    for (int i = 1; i <= 5; i++) {
        g_async_queue_push(q, GINT_TO_POINTER(i));
    }
    return GINT_TO_POINTER(123);
}

static void test_main_context_and_thread(void)
{
    GMainContext *ctx = g_main_context_new();
    LoopState s = { g_main_loop_new(ctx, FALSE), 0, FALSE };
    GSource *idle = g_idle_source_new();
    GSource *timeout = g_timeout_source_new(50);
    GAsyncQueue *q = g_async_queue_new();
    GThread *t;
    gint64 t0 = g_get_monotonic_time();
    int sum = 0;

    g_source_set_callback(idle, on_idle, &s, NULL);
    g_source_attach(idle, ctx);
    g_source_set_callback(timeout, on_timeout, &s, NULL);
    g_source_attach(timeout, ctx);
    g_main_context_push_thread_default(ctx);
    g_main_loop_run(s.loop);
    g_main_context_pop_thread_default(ctx);
    CHECK(s.idle_runs == 10);
    CHECK(s.timed_out);
    CHECK(g_get_monotonic_time() - t0 >= 40000);

    t = g_thread_new("worker", worker, q);
    for (int i = 0; i < 5; i++) {
        sum += GPOINTER_TO_INT(g_async_queue_pop(q));
    }
    CHECK(GPOINTER_TO_INT(g_thread_join(t)) == 123);
    CHECK(sum == 15);

    g_async_queue_unref(q);
    g_source_unref(idle);
    g_source_unref(timeout);
    g_main_loop_unref(s.loop);
    g_main_context_unref(ctx);
}

static void test_regex(void)
{
    GError *err = NULL;
    GRegex *re = g_regex_new("(\\w+)@(\\w+)\\.org", 0, 0, &err);
    GMatchInfo *m = NULL;

    CHECK(re != NULL);
    if (!re) {
        return;
    }
    CHECK(g_regex_match(re, "mail qemu@nongnu.org now", 0, &m));
    if (g_match_info_matches(m)) {
        gchar *user = g_match_info_fetch(m, 1);
        CHECK(strcmp(user, "qemu") == 0);
        g_free(user);
    }
    g_match_info_free(m);
    g_regex_unref(re);
}

static int closure_seen;

/* Called by g_cclosure_marshal_generic, i.e. through libffi's ffi_call. */
static gint add_cb(gint a, gint b, gpointer user_data)
{
    closure_seen = GPOINTER_TO_INT(user_data);
    return a + b;
}

static void test_closure(void)
{
    GClosure *c = g_cclosure_new(G_CALLBACK(add_cb), GINT_TO_POINTER(7),
                                 NULL);
    GValue params[2] = { G_VALUE_INIT, G_VALUE_INIT };
    GValue ret = G_VALUE_INIT;

    g_closure_set_marshal(c, g_cclosure_marshal_generic);
    g_value_init(&params[0], G_TYPE_INT);
    g_value_set_int(&params[0], 40);
    g_value_init(&params[1], G_TYPE_INT);
    g_value_set_int(&params[1], 2);
    g_value_init(&ret, G_TYPE_INT);
    g_closure_invoke(c, &ret, 2, params, NULL);
    CHECK(g_value_get_int(&ret) == 42);
    CHECK(closure_seen == 7);
    g_closure_unref(c);
}

static void test_zlib(void)
{
    static const char text[] =
        "QEMU QEMU QEMU QEMU QEMU QEMU QEMU QEMU QEMU QEMU QEMU QEMU";
    Bytef packed[256];
    char unpacked[256];
    uLongf plen = sizeof(packed), len = sizeof(unpacked);

    CHECK(compress2(packed, &plen, (const Bytef *)text, sizeof(text), 9)
          == Z_OK);
    CHECK(plen < sizeof(text));
    CHECK(uncompress((Bytef *)unpacked, &len, packed, plen) == Z_OK);
    CHECK(len == sizeof(text) && memcmp(unpacked, text, len) == 0);
}

/* gio and gmodule: link only what needs no GObject. */
static void test_gio_gmodule(void)
{
    CHECK(g_dbus_is_name("org.qemu.Test"));
    CHECK(!g_dbus_is_name("no"));
    (void)g_module_supported();
}

static void test_pixman(void)
{
    pixman_image_t *img = pixman_image_create_bits(PIXMAN_a8r8g8b8, 16, 16,
                                                   NULL, 0);
    pixman_color_t red = { 0xffff, 0, 0, 0xffff };
    pixman_rectangle16_t rect = { 2, 2, 4, 4 };
    uint32_t *px;

    pixman_image_fill_rectangles(PIXMAN_OP_SRC, img, &red, 1, &rect);
    px = pixman_image_get_data(img);
    CHECK(px[3 * 16 + 3] == 0xffff0000u);
    CHECK(px[0] == 0);
    pixman_image_unref(img);
}

int main(void)
{
    test_hash_table();
    test_main_context_and_thread();
    test_regex();
    test_closure();
    test_zlib();
    test_gio_gmodule();
    test_pixman();
    g_print("glib %u.%u.%u, zlib %s, pixman %s: %s\n",
            glib_major_version, glib_minor_version, glib_micro_version,
            zlibVersion(), pixman_version_string(),
            failures ? "FAILED" : "all ok");
    return failures ? 1 : 0;
}
