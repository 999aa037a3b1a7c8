#ifndef KVS_UTIL_THREAD_ANNOTATIONS_H_
#define KVS_UTIL_THREAD_ANNOTATIONS_H_

// Clang thread-safety analysis attributes (-Wthread-safety); empty for other
// compilers.
#if defined(__clang__)
#define KVS_THREAD_ANNOTATION(x) __attribute__((x))
#else
#define KVS_THREAD_ANNOTATION(x)
#endif

#define KVS_CAPABILITY(x) KVS_THREAD_ANNOTATION(capability(x))
#define KVS_SCOPED_CAPABILITY KVS_THREAD_ANNOTATION(scoped_lockable)
#define KVS_GUARDED_BY(x) KVS_THREAD_ANNOTATION(guarded_by(x))
#define KVS_PT_GUARDED_BY(x) KVS_THREAD_ANNOTATION(pt_guarded_by(x))
#define KVS_ACQUIRE(...) KVS_THREAD_ANNOTATION(acquire_capability(__VA_ARGS__))
#define KVS_RELEASE(...) KVS_THREAD_ANNOTATION(release_capability(__VA_ARGS__))
#define KVS_REQUIRES(...) \
  KVS_THREAD_ANNOTATION(requires_capability(__VA_ARGS__))
#define KVS_EXCLUDES(...) KVS_THREAD_ANNOTATION(locks_excluded(__VA_ARGS__))
#define KVS_ASSERT_HELD(x) KVS_THREAD_ANNOTATION(assert_capability(x))
#define KVS_NO_THREAD_SAFETY_ANALYSIS \
  KVS_THREAD_ANNOTATION(no_thread_safety_analysis)

#endif  // KVS_UTIL_THREAD_ANNOTATIONS_H_
