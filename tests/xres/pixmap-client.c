/* SPDX-License-Identifier: MIT */
/*
 * An X client that makes the X server hold MIB MiB of pixmaps for it,
 * spread over CONNECTIONS connections (default 2, so that the charge has
 * to merge them by PID), then prints "pid <PID>" and "ready" and waits for
 * end of file on stdin.
 *
 * Pixmaps are 1024 x 1024 at the root depth, which must be stored at 32
 * bits per pixel (depth 24 or 32): 4 MiB each, plus one shorter pixmap for
 * a remainder. Every pixmap is filled, so its pages are really allocated
 * in the server (Xvfb's fb mallocs the pixels and does not touch them).
 *
 * Usage: pixmap-client MIB [CONNECTIONS]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xcb/xcb.h>

#define WIDTH 1024
#define CONNECTIONS_MAX 8

_Noreturn static void die(const char *what)
{
        fprintf(stderr, "pixmap-client: %s\n", what);
        exit(1);
}

/* Bits per pixel the server stores at this depth. */
static unsigned bits_per_pixel(const xcb_setup_t *setup, uint8_t depth)
{
        for (xcb_format_iterator_t f = xcb_setup_pixmap_formats_iterator(setup); f.rem; xcb_format_next(&f))
                if (f.data->depth == depth)
                        return f.data->bits_per_pixel;
        return 0;
}

/* Creates a WIDTH x height pixmap on c and fills it. */
static void make_pixmap(xcb_connection_t *c, xcb_screen_t *screen, xcb_gcontext_t *gc, uint16_t height)
{
        xcb_pixmap_t pix = xcb_generate_id(c);
        xcb_generic_error_t *e;

        e = xcb_request_check(
                c, xcb_create_pixmap_checked(c, screen->root_depth, pix, screen->root, WIDTH, height));
        if (e)
                die("CreatePixmap failed (BadAlloc?)");
        if (*gc == 0) {
                uint32_t fg = 0x2a7fff;
                *gc = xcb_generate_id(c);
                xcb_create_gc(c, *gc, pix, XCB_GC_FOREGROUND, &fg);
        }
        xcb_rectangle_t r = { 0, 0, WIDTH, height };
        xcb_poly_fill_rectangle(c, pix, *gc, 1, &r);
}

int main(int argc, char **argv)
{
        xcb_connection_t *conns[CONNECTIONS_MAX];
        xcb_gcontext_t gcs[CONNECTIONS_MAX] = { 0 };
        xcb_screen_t *screens[CONNECTIONS_MAX];
        char line[64];
        long mib, nconn = 2;

        if (argc < 2 || argc > 3)
                die("usage: pixmap-client MIB [CONNECTIONS]");
        mib = strtol(argv[1], NULL, 10);
        if (argc == 3)
                nconn = strtol(argv[2], NULL, 10);
        if (mib <= 0 || mib > 4096 || nconn < 1 || nconn > CONNECTIONS_MAX)
                die("MIB must be 1..4096 and CONNECTIONS 1..8");

        for (long i = 0; i < nconn; i++) {
                int screen_num;
                conns[i] = xcb_connect(NULL, &screen_num);
                if (xcb_connection_has_error(conns[i]))
                        die("cannot connect to $DISPLAY");
                const xcb_setup_t *setup = xcb_get_setup(conns[i]);
                xcb_screen_iterator_t it = xcb_setup_roots_iterator(setup);
                for (int s = 0; s < screen_num; s++)
                        xcb_screen_next(&it);
                screens[i] = it.data;
                if (bits_per_pixel(setup, screens[i]->root_depth) != 32)
                        die("the root depth is not stored at 32 bpp: start the server with -screen 0 WxHx24");
        }

        /* 4 MiB pixmaps round-robin over the connections, then the rest:
         * WIDTH * 4 bytes a row, so 256 rows a MiB. */
        long full = mib / 4, rest_rows = (mib % 4) * 256;
        for (long k = 0; k < full; k++)
                make_pixmap(conns[k % nconn], screens[k % nconn], &gcs[k % nconn], WIDTH);
        if (rest_rows)
                make_pixmap(conns[full % nconn], screens[full % nconn], &gcs[full % nconn],
                            (uint16_t)rest_rows);

        /* A round trip on each connection: every fill has been done. */
        for (long i = 0; i < nconn; i++) {
                free(xcb_get_input_focus_reply(conns[i], xcb_get_input_focus(conns[i]), NULL));
                if (xcb_connection_has_error(conns[i]))
                        die("connection lost");
        }

        printf("pid %ld\nready\n", (long)getpid());
        fflush(stdout);
        while (fgets(line, sizeof(line), stdin))
                ;
        for (long i = 0; i < nconn; i++)
                xcb_disconnect(conns[i]);
        return 0;
}
