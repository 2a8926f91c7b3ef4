/* err.c - text for the error codes listed in err.def. */
#include "core.h"

static const char *const err_text[] = {
#define ERR(name, text) [name] = text,
#include "err.def"
#undef ERR
};

const char *
cd_strerror(int code)
{
	if (code < 0 || (size_t)code >= sizeof(err_text) / sizeof(err_text[0]) ||
	    err_text[code] == NULL)
		return "unknown error";
	return err_text[code];
}
