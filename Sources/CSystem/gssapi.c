/* GSSAPI, left out.
 *
 * libgit2 calls GSSAPI only for Negotiate (Kerberos) authentication over HTTP, and only with the "default"
 * credentials a credentials callback hands it; git aee's callback (Sources/Git/Remote.swift) offers ssh-agent keys
 * alone, so libgit2 never reaches these. Debian ships GSSAPI only shared, and linked as a library MIT Kerberos and the
 * six libraries it brings cost every command about 0.7 ms of loading before main; these stand in for the eight
 * functions and the one name type libgit2 refers to, and fail as GSSAPI fails (GSS_S_FAILURE) should it ever call. */
#include <stdint.h>
#include <stddef.h>

typedef uint32_t OM_uint32;

/* GSS_S_FAILURE: a routine error of code 13, in the routine-error field (bits 16 to 23). */
static OM_uint32 failure(OM_uint32 *minor) {
    if (minor) *minor = 0;
    return 13u << 16;
}

__attribute__((visibility("default"))) void *GSS_C_NT_HOSTBASED_SERVICE = NULL;

#define UNAVAILABLE(name, ...) \
    __attribute__((visibility("default"))) OM_uint32 name(OM_uint32 *minor, __VA_ARGS__) { return failure(minor); }

UNAVAILABLE(gss_indicate_mechs, void **set)
UNAVAILABLE(gss_import_name, void *buffer, void *type, void **name)
UNAVAILABLE(gss_init_sec_context, void *credentials, void **context, void *target, void *mechanism, OM_uint32 flags,
            OM_uint32 time, void *bindings, void *input, void **actual, void *output, OM_uint32 *returned, OM_uint32 *validity)
UNAVAILABLE(gss_display_status, OM_uint32 status, int type, void *mechanism, OM_uint32 *more, void *text)
UNAVAILABLE(gss_delete_sec_context, void **context, void *output)
UNAVAILABLE(gss_release_buffer, void *buffer)
UNAVAILABLE(gss_release_name, void **name)
UNAVAILABLE(gss_release_oid_set, void **set)
