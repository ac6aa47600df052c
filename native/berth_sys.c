/*
 * Linux system calls that Node.js does not expose and that the engine needs
 * on hot paths: mount and umount for container root filesystems, mknod for
 * overlayfs whiteouts, extended attributes for opaque directories and file
 * capabilities, and SOCK_SEQPACKET connections to conmon's attach sockets.
 * createNetns makes the persistent network namespace of a container sandbox.
 *
 * Every function throws a JavaScript Error whose `code` is the errno name
 * (for example "ENOENT") and whose message names the call and the path.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <node_api.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <uv.h>

#define MAX_ARGS 6
#define PATH_BUFFER 4096
#define DATA_BUFFER 65536

static napi_value throw_errno(napi_env env, const char *call, const char *path, int err) {
  char message[PATH_BUFFER + 128];
  snprintf(message, sizeof(message), "%s %s: %s", call, path ? path : "", strerror(err));
  napi_value code_value, message_value, error;
  napi_create_string_utf8(env, strerrorname_np(err) ? strerrorname_np(err) : "EUNKNOWN", NAPI_AUTO_LENGTH, &code_value);
  napi_create_string_utf8(env, message, NAPI_AUTO_LENGTH, &message_value);
  napi_create_error(env, code_value, message_value, &error);
  napi_value errno_value;
  napi_create_int32(env, err, &errno_value);
  napi_set_named_property(env, error, "errno", errno_value);
  napi_throw(env, error);
  return NULL;
}

static int get_args(napi_env env, napi_callback_info info, size_t expected, napi_value *args) {
  size_t count = MAX_ARGS;
  napi_get_cb_info(env, info, &count, args, NULL, NULL);
  if (count < expected) {
    napi_throw_type_error(env, NULL, "missing arguments");
    return -1;
  }
  return 0;
}

/* Copies a JavaScript string argument into buffer; an empty or null value gives "". */
static int get_string(napi_env env, napi_value value, char *buffer, size_t size) {
  napi_valuetype type;
  napi_typeof(env, value, &type);
  if (type == napi_null || type == napi_undefined) {
    buffer[0] = '\0';
    return 0;
  }
  size_t length = 0;
  if (napi_get_value_string_utf8(env, value, buffer, size, &length) != napi_ok) {
    napi_throw_type_error(env, NULL, "expected a string argument");
    return -1;
  }
  if (length >= size - 1) {
    napi_throw_range_error(env, NULL, "string argument too long");
    return -1;
  }
  return 0;
}

/*
 * mount(source, target, fstype, flags, data, cwd): with a cwd, mounts in a
 * forked child that first changes to cwd, so that overlayfs options can name
 * lower directories by short relative paths and still fit in one page.
 * Forking keeps the daemon's own working directory untouched. With an empty
 * cwd it mounts in this process, because forking the daemon costs several
 * milliseconds on every container start.
 */
static napi_value js_mount(napi_env env, napi_callback_info info) {
  napi_value args[MAX_ARGS];
  if (get_args(env, info, 6, args) < 0) return NULL;
  static char source[PATH_BUFFER], target[PATH_BUFFER], fstype[256], cwd[PATH_BUFFER];
  char *data = malloc(DATA_BUFFER);
  if (!data) return throw_errno(env, "mount", "", ENOMEM);
  uint32_t flags = 0;
  if (get_string(env, args[0], source, sizeof(source)) < 0 || get_string(env, args[1], target, sizeof(target)) < 0 ||
      get_string(env, args[2], fstype, sizeof(fstype)) < 0 || napi_get_value_uint32(env, args[3], &flags) != napi_ok ||
      get_string(env, args[4], data, DATA_BUFFER) < 0 || get_string(env, args[5], cwd, sizeof(cwd)) < 0) {
    free(data);
    return NULL;
  }

  if (cwd[0] == '\0') {
    int failed = mount(source, target, fstype[0] ? fstype : NULL, flags, data[0] ? data : NULL) < 0;
    int err = errno;
    free(data);
    if (failed) return throw_errno(env, "mount", target, err);
    return NULL;
  }

  int status_pipe[2];
  if (pipe2(status_pipe, O_CLOEXEC) < 0) {
    free(data);
    return throw_errno(env, "mount", target, errno);
  }
  pid_t pid = fork();
  if (pid < 0) {
    int err = errno;
    free(data);
    close(status_pipe[0]);
    close(status_pipe[1]);
    return throw_errno(env, "mount", target, err);
  }
  if (pid == 0) {
    int err = 0;
    if (cwd[0] != '\0' && chdir(cwd) < 0) err = errno;
    if (err == 0 && mount(source, target, fstype[0] ? fstype : NULL, flags, data[0] ? data : NULL) < 0) err = errno;
    if (write(status_pipe[1], &err, sizeof(err)) < 0) _exit(2);
    _exit(err == 0 ? 0 : 1);
  }
  close(status_pipe[1]);
  int child_err = EIO;
  ssize_t got = read(status_pipe[0], &child_err, sizeof(child_err));
  close(status_pipe[0]);
  int status;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  free(data);
  if (got != sizeof(child_err)) child_err = EIO;
  if (child_err != 0) return throw_errno(env, "mount", target, child_err);
  return NULL;
}

/* umount(target, flags) */
static napi_value js_umount(napi_env env, napi_callback_info info) {
  napi_value args[MAX_ARGS];
  if (get_args(env, info, 2, args) < 0) return NULL;
  char target[PATH_BUFFER];
  int32_t flags = 0;
  if (get_string(env, args[0], target, sizeof(target)) < 0) return NULL;
  napi_get_value_int32(env, args[1], &flags);
  if (umount2(target, flags) < 0) return throw_errno(env, "umount", target, errno);
  return NULL;
}

/* mknod(path, mode, major, minor): mode includes the file type bits (S_IFCHR and so on). */
static napi_value js_mknod(napi_env env, napi_callback_info info) {
  napi_value args[MAX_ARGS];
  if (get_args(env, info, 4, args) < 0) return NULL;
  char path[PATH_BUFFER];
  uint32_t mode = 0, major_number = 0, minor_number = 0;
  if (get_string(env, args[0], path, sizeof(path)) < 0) return NULL;
  napi_get_value_uint32(env, args[1], &mode);
  napi_get_value_uint32(env, args[2], &major_number);
  napi_get_value_uint32(env, args[3], &minor_number);
  if (mknod(path, mode, makedev(major_number, minor_number)) < 0) return throw_errno(env, "mknod", path, errno);
  return NULL;
}

/* lsetxattr(path, name, value: Buffer): sets the attribute on the link itself, never its target. */
static napi_value js_lsetxattr(napi_env env, napi_callback_info info) {
  napi_value args[MAX_ARGS];
  if (get_args(env, info, 3, args) < 0) return NULL;
  char path[PATH_BUFFER], name[256];
  void *value = NULL;
  size_t length = 0;
  if (get_string(env, args[0], path, sizeof(path)) < 0 || get_string(env, args[1], name, sizeof(name)) < 0) return NULL;
  if (napi_get_buffer_info(env, args[2], &value, &length) != napi_ok) {
    napi_throw_type_error(env, NULL, "lsetxattr: value must be a Buffer");
    return NULL;
  }
  if (lsetxattr(path, name, value, length, 0) < 0) return throw_errno(env, "lsetxattr", path, errno);
  return NULL;
}

/* lgetxattr(path, name): returns a Buffer, or null when the attribute is absent. */
static napi_value js_lgetxattr(napi_env env, napi_callback_info info) {
  napi_value args[MAX_ARGS];
  if (get_args(env, info, 2, args) < 0) return NULL;
  char path[PATH_BUFFER], name[256];
  if (get_string(env, args[0], path, sizeof(path)) < 0 || get_string(env, args[1], name, sizeof(name)) < 0) return NULL;
  char value[65536];
  ssize_t length = lgetxattr(path, name, value, sizeof(value));
  napi_value result;
  if (length < 0) {
    if (errno == ENODATA) {
      napi_get_null(env, &result);
      return result;
    }
    return throw_errno(env, "lgetxattr", path, errno);
  }
  void *copy;
  napi_create_buffer_copy(env, (size_t)length, value, &copy, &result);
  return result;
}

/* llistxattr(path): returns the attribute names of the path itself, never its target. */
static napi_value js_llistxattr(napi_env env, napi_callback_info info) {
  napi_value args[MAX_ARGS];
  if (get_args(env, info, 1, args) < 0) return NULL;
  char path[PATH_BUFFER];
  if (get_string(env, args[0], path, sizeof(path)) < 0) return NULL;
  char names[65536];
  ssize_t length = llistxattr(path, names, sizeof(names));
  if (length < 0) return throw_errno(env, "llistxattr", path, errno);
  napi_value result;
  napi_create_array(env, &result);
  uint32_t index = 0;
  for (ssize_t offset = 0; offset < length;) {
    napi_value name;
    size_t name_length = strlen(names + offset);
    napi_create_string_utf8(env, names + offset, name_length, &name);
    napi_set_element(env, result, index++, name);
    offset += (ssize_t)name_length + 1;
  }
  return result;
}

/*
 * connectSeqpacket(path): connects a SOCK_SEQPACKET unix socket and returns
 * its file descriptor, blocking and close-on-exec. conmon's attach sockets
 * are of this type, which Node's net module cannot open.
 */
static napi_value js_connect_seqpacket(napi_env env, napi_callback_info info) {
  napi_value args[MAX_ARGS];
  if (get_args(env, info, 1, args) < 0) return NULL;
  char path[PATH_BUFFER];
  if (get_string(env, args[0], path, sizeof(path)) < 0) return NULL;
  struct sockaddr_un address;
  memset(&address, 0, sizeof(address));
  address.sun_family = AF_UNIX;
  if (strlen(path) >= sizeof(address.sun_path)) return throw_errno(env, "connect", path, ENAMETOOLONG);
  strcpy(address.sun_path, path);
  int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
  if (fd < 0) return throw_errno(env, "socket", path, errno);
  if (connect(fd, (struct sockaddr *)&address, sizeof(address)) < 0) {
    int err = errno;
    close(fd);
    return throw_errno(env, "connect", path, err);
  }
  napi_value result;
  napi_create_int32(env, fd, &result);
  return result;
}

/* shutdownWrite(fd): half-closes a socket so that the peer reads end of file. */
static napi_value js_shutdown_write(napi_env env, napi_callback_info info) {
  napi_value args[MAX_ARGS];
  if (get_args(env, info, 1, args) < 0) return NULL;
  int32_t fd = -1;
  napi_get_value_int32(env, args[0], &fd);
  if (shutdown(fd, SHUT_WR) < 0) return throw_errno(env, "shutdown", "", errno);
  return NULL;
}

/*
 * Readiness watches on raw file descriptors, for sockets that Node's net
 * module cannot wrap (conmon's SOCK_SEQPACKET attach sockets). A watch runs
 * on the event loop through uv_poll, so an idle attach session costs no
 * thread-pool thread. JavaScript then reads and writes the descriptor with
 * non-blocking fs.readSync and fs.writeSync calls.
 */
typedef struct {
  uv_poll_t poll;
  napi_env env;
  napi_ref callback;
  napi_async_context context;
  int stopped;
} fd_watch;

static void fd_watch_closed(uv_handle_t *handle) {
  free(handle->data);
}

static void fd_watch_event(uv_poll_t *poll, int status, int events) {
  fd_watch *watch = poll->data;
  if (watch->stopped) return;
  napi_env env = watch->env;
  napi_handle_scope scope;
  napi_open_handle_scope(env, &scope);
  napi_value callback, receiver, argv[2], result;
  napi_get_reference_value(env, watch->callback, &callback);
  /* napi_make_callback needs an object as the receiver. */
  napi_get_global(env, &receiver);
  napi_create_int32(env, status, &argv[0]);
  napi_create_int32(env, events, &argv[1]);
  if (napi_make_callback(env, watch->context, receiver, callback, 2, argv, &result) == napi_pending_exception) {
    napi_value error;
    napi_get_and_clear_last_exception(env, &error);
    napi_fatal_exception(env, error);
  }
  napi_close_handle_scope(env, scope);
}

/*
 * watchFd(fd, events, callback): calls callback(status, events) whenever fd
 * is ready. events is a mask of 1 (readable) and 2 (writable). libuv makes
 * fd non-blocking. Returns a handle for updateWatch and unwatchFd.
 */
static napi_value js_watch_fd(napi_env env, napi_callback_info info) {
  napi_value args[MAX_ARGS];
  if (get_args(env, info, 3, args) < 0) return NULL;
  int32_t fd = -1, events = 0;
  napi_get_value_int32(env, args[0], &fd);
  napi_get_value_int32(env, args[1], &events);
  uv_loop_t *loop = NULL;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok || loop == NULL) return throw_errno(env, "watchFd", "", EINVAL);

  fd_watch *watch = calloc(1, sizeof(*watch));
  if (!watch) return throw_errno(env, "watchFd", "", ENOMEM);
  int rc = uv_poll_init(loop, &watch->poll, fd);
  if (rc < 0) {
    free(watch);
    return throw_errno(env, "watchFd", "", -rc);
  }
  watch->poll.data = watch;
  watch->env = env;
  napi_value resource_name;
  napi_create_string_utf8(env, "berth:fdwatch", NAPI_AUTO_LENGTH, &resource_name);
  napi_create_reference(env, args[2], 1, &watch->callback);
  napi_async_init(env, NULL, resource_name, &watch->context);
  rc = uv_poll_start(&watch->poll, events, fd_watch_event);
  if (rc < 0) {
    napi_delete_reference(env, watch->callback);
    napi_async_destroy(env, watch->context);
    watch->stopped = 1;
    uv_close((uv_handle_t *)&watch->poll, fd_watch_closed);
    return throw_errno(env, "watchFd", "", -rc);
  }
  napi_value handle;
  napi_create_external(env, watch, NULL, NULL, &handle);
  return handle;
}

static fd_watch *get_watch(napi_env env, napi_value value) {
  void *data = NULL;
  if (napi_get_value_external(env, value, &data) != napi_ok || data == NULL) {
    napi_throw_type_error(env, NULL, "expected a handle from watchFd");
    return NULL;
  }
  return data;
}

/* updateWatch(handle, events): changes the events a live watch waits for. */
static napi_value js_update_watch(napi_env env, napi_callback_info info) {
  napi_value args[MAX_ARGS];
  if (get_args(env, info, 2, args) < 0) return NULL;
  fd_watch *watch = get_watch(env, args[0]);
  if (!watch) return NULL;
  int32_t events = 0;
  napi_get_value_int32(env, args[1], &events);
  if (watch->stopped) return NULL;
  int rc = uv_poll_start(&watch->poll, events, fd_watch_event);
  if (rc < 0) return throw_errno(env, "updateWatch", "", -rc);
  return NULL;
}

/* unwatchFd(handle): stops the watch; calling it twice is harmless. The fd stays open. */
static napi_value js_unwatch_fd(napi_env env, napi_callback_info info) {
  napi_value args[MAX_ARGS];
  if (get_args(env, info, 1, args) < 0) return NULL;
  fd_watch *watch = get_watch(env, args[0]);
  if (!watch || watch->stopped) return NULL;
  watch->stopped = 1;
  uv_poll_stop(&watch->poll);
  napi_delete_reference(env, watch->callback);
  napi_async_destroy(env, watch->context);
  uv_close((uv_handle_t *)&watch->poll, fd_watch_closed);
  return NULL;
}

/*
 * writeFile(path, chunks, uid, gid, mode, atime, mtime): creates a regular
 * file that must not exist yet (O_EXCL, and O_NOFOLLOW so a symlink in its
 * place is never followed), writes the Buffers in chunks, then sets owner,
 * mode and times (seconds, fractions allowed) through the open descriptor.
 * One call per file instead of six keeps layer unpacking close to GNU tar's
 * speed for images made of many small files. On failure after the create,
 * the partial file is left for the caller, who replaces or removes it.
 */
static napi_value js_write_file(napi_env env, napi_callback_info info) {
  napi_value args[MAX_ARGS + 1];
  size_t count = MAX_ARGS + 1;
  napi_get_cb_info(env, info, &count, args, NULL, NULL);
  if (count < 7) {
    napi_throw_type_error(env, NULL, "writeFile: missing arguments");
    return NULL;
  }
  char path[PATH_BUFFER];
  if (get_string(env, args[0], path, sizeof(path)) < 0) return NULL;
  uint32_t chunk_count = 0, uid = 0, gid = 0, mode = 0;
  double atime = 0, mtime = 0;
  if (napi_get_array_length(env, args[1], &chunk_count) != napi_ok || napi_get_value_uint32(env, args[2], &uid) != napi_ok ||
      napi_get_value_uint32(env, args[3], &gid) != napi_ok || napi_get_value_uint32(env, args[4], &mode) != napi_ok ||
      napi_get_value_double(env, args[5], &atime) != napi_ok || napi_get_value_double(env, args[6], &mtime) != napi_ok) {
    napi_throw_type_error(env, NULL, "writeFile: expected (string, Buffer[], uid, gid, mode, atime, mtime)");
    return NULL;
  }

  int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return throw_errno(env, "open", path, errno);
  const char *failed_call = NULL;
  int err = 0;
  for (uint32_t index = 0; index < chunk_count && failed_call == NULL; index++) {
    napi_value chunk;
    void *data = NULL;
    size_t length = 0;
    if (napi_get_element(env, args[1], index, &chunk) != napi_ok || napi_get_buffer_info(env, chunk, &data, &length) != napi_ok) {
      close(fd);
      napi_throw_type_error(env, NULL, "writeFile: chunks must be Buffers");
      return NULL;
    }
    size_t offset = 0;
    while (offset < length) {
      ssize_t written = write(fd, (const char *)data + offset, length - offset);
      if (written < 0) {
        if (errno == EINTR) continue;
        failed_call = "write";
        err = errno;
        break;
      }
      offset += (size_t)written;
    }
  }
  /* Owner before mode: chown clears the set-user-ID and set-group-ID bits. */
  if (failed_call == NULL && fchown(fd, uid, gid) < 0) failed_call = "fchown", err = errno;
  if (failed_call == NULL && fchmod(fd, mode & 07777) < 0) failed_call = "fchmod", err = errno;
  if (failed_call == NULL) {
    struct timespec times[2];
    times[0].tv_sec = (time_t)atime;
    times[0].tv_nsec = (long)((atime - (double)times[0].tv_sec) * 1e9);
    times[1].tv_sec = (time_t)mtime;
    times[1].tv_nsec = (long)((mtime - (double)times[1].tv_sec) * 1e9);
    if (futimens(fd, times) < 0) failed_call = "futimens", err = errno;
  }
  if (close(fd) < 0 && failed_call == NULL) failed_call = "close", err = errno;
  if (failed_call != NULL) return throw_errno(env, failed_call, path, err);
  return NULL;
}

struct netns_job {
  const char *target;
  const char *failed_call;
  int err;
};

/*
 * Runs on a short-lived thread, because unshare(CLONE_NEWNET) moves only the
 * calling thread into the new namespace and the daemon's own threads must stay
 * in the host namespace. The bind mount keeps the namespace alive after the
 * thread exits.
 */
static void *create_netns_thread(void *argument) {
  struct netns_job *job = argument;
  if (unshare(CLONE_NEWNET) < 0) {
    job->failed_call = "unshare", job->err = errno;
    return NULL;
  }

  /* The loopback interface starts down in a new namespace; containers expect it up. */
  int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (sock < 0) {
    job->failed_call = "socket", job->err = errno;
    return NULL;
  }
  struct ifreq request;
  memset(&request, 0, sizeof(request));
  strncpy(request.ifr_name, "lo", IFNAMSIZ - 1);
  if (ioctl(sock, SIOCGIFFLAGS, &request) < 0) {
    job->failed_call = "get flags of lo", job->err = errno;
  } else {
    request.ifr_flags |= IFF_UP;
    if (ioctl(sock, SIOCSIFFLAGS, &request) < 0) job->failed_call = "set lo up", job->err = errno;
  }
  close(sock);
  if (job->failed_call) return NULL;

  if (mount("/proc/thread-self/ns/net", job->target, NULL, MS_BIND, NULL) < 0) {
    job->failed_call = "bind-mount network namespace", job->err = errno;
  }
  return NULL;
}

/*
 * createNetns(target): creates a network namespace with loopback up and
 * bind-mounts it on the existing file target, as `unshare --net=target` does,
 * without starting a process.
 */
static napi_value js_create_netns(napi_env env, napi_callback_info info) {
  napi_value args[MAX_ARGS];
  if (get_args(env, info, 1, args) < 0) return NULL;
  char target[PATH_BUFFER];
  if (get_string(env, args[0], target, sizeof(target)) < 0) return NULL;

  struct netns_job job = {target, NULL, 0};
  pthread_t thread;
  int err = pthread_create(&thread, NULL, create_netns_thread, &job);
  if (err != 0) return throw_errno(env, "create network namespace thread", target, err);
  err = pthread_join(thread, NULL);
  if (err != 0) return throw_errno(env, "join network namespace thread", target, err);
  if (job.failed_call) return throw_errno(env, job.failed_call, target, job.err);
  return NULL;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor properties[] = {
      {"mount", NULL, js_mount, NULL, NULL, NULL, napi_default, NULL},
      {"umount", NULL, js_umount, NULL, NULL, NULL, napi_default, NULL},
      {"mknod", NULL, js_mknod, NULL, NULL, NULL, napi_default, NULL},
      {"lsetxattr", NULL, js_lsetxattr, NULL, NULL, NULL, napi_default, NULL},
      {"lgetxattr", NULL, js_lgetxattr, NULL, NULL, NULL, napi_default, NULL},
      {"llistxattr", NULL, js_llistxattr, NULL, NULL, NULL, napi_default, NULL},
      {"connectSeqpacket", NULL, js_connect_seqpacket, NULL, NULL, NULL, napi_default, NULL},
      {"shutdownWrite", NULL, js_shutdown_write, NULL, NULL, NULL, napi_default, NULL},
      {"watchFd", NULL, js_watch_fd, NULL, NULL, NULL, napi_default, NULL},
      {"updateWatch", NULL, js_update_watch, NULL, NULL, NULL, napi_default, NULL},
      {"unwatchFd", NULL, js_unwatch_fd, NULL, NULL, NULL, napi_default, NULL},
      {"writeFile", NULL, js_write_file, NULL, NULL, NULL, napi_default, NULL},
      {"createNetns", NULL, js_create_netns, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof(properties) / sizeof(properties[0]), properties);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
