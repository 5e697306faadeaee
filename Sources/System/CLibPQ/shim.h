// Debian's libpq-dev installs the header under /usr/include/postgresql; pkg-config names that directory elsewhere.
#if __has_include(<libpq-fe.h>)
#include <libpq-fe.h>
#else
#include <postgresql/libpq-fe.h>
#endif

/* Swift cannot import character-literal macros: the error fields the host reads, as constants. */
static const int sb_pq_diag_sqlstate = PG_DIAG_SQLSTATE;
static const int sb_pq_diag_message_primary = PG_DIAG_MESSAGE_PRIMARY;
