#include <curl/curl.h>

/* curl_easy_setopt is variadic, which Swift cannot call: these typed wrappers can. */
static inline CURLcode sb_curl_set_long(CURL *curl, CURLoption option, long value) {
    return curl_easy_setopt(curl, option, value);
}
static inline CURLcode sb_curl_set_string(CURL *curl, CURLoption option, const char *value) {
    return curl_easy_setopt(curl, option, value);
}
static inline CURLcode sb_curl_set_pointer(CURL *curl, CURLoption option, void *value) {
    return curl_easy_setopt(curl, option, value);
}
static inline CURLcode sb_curl_set_slist(CURL *curl, CURLoption option, struct curl_slist *value) {
    return curl_easy_setopt(curl, option, value);
}
typedef size_t (*sb_curl_write_fn)(char *data, size_t size, size_t count, void *user);
static inline CURLcode sb_curl_set_write_function(CURL *curl, CURLoption option, sb_curl_write_fn fn) {
    return curl_easy_setopt(curl, option, fn);
}
typedef size_t (*sb_curl_read_fn)(char *buffer, size_t size, size_t count, void *user);
static inline CURLcode sb_curl_set_read_function(CURL *curl, sb_curl_read_fn fn) {
    return curl_easy_setopt(curl, CURLOPT_READFUNCTION, fn);
}
static inline CURLcode sb_curl_get_long(CURL *curl, CURLINFO info, long *value) {
    return curl_easy_getinfo(curl, info, value);
}
