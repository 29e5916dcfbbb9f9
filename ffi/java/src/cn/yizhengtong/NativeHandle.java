package cn.yizhengtong;

import java.lang.ref.Cleaner;
import java.lang.ref.Reference;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongToIntFunction;

/**
 * An object that owns a native handle: the {@code long} is a pointer to the same Rust value a
 * C handle points to. {@link #close()} frees it (secrets wiped); closing twice is harmless; a
 * use after close throws {@link YztException} with {@link ResultCode#NULL_POINTER}; an object
 * that is never closed is freed when it is garbage collected.
 *
 * <p>Every object may be used by several threads at once. Each call counts itself in and out
 * of the object without locks ({@link #acquire()}, {@link #release()}); {@code close()} marks
 * the object closed and the native value is freed when the last call in flight returns, so a
 * close racing with a use never frees memory under it.
 */
abstract class NativeHandle implements AutoCloseable {
    private static final Cleaner CLEANER = Cleaner.create();

    private final State state;
    private final Cleaner.Cleanable cleanable;

    /**
     * Takes ownership of {@code handle}.
     *
     * @param handle a live handle of this object's type, never 0
     * @param free the native function that frees it
     */
    @SuppressWarnings("this-escape") // the cleaner only keeps a phantom reference to this
    NativeHandle(long handle, LongToIntFunction free) {
        if (handle == 0) {
            throw new IllegalStateException("the library returned no handle");
        }
        state = new State(handle, free, getClass().getSimpleName());
        cleanable = CLEANER.register(this, state);
    }

    /**
     * Counts a call in and returns the handle. Pair with {@link #release()} in a {@code finally}.
     *
     * @return the handle
     * @throws YztException {@link ResultCode#NULL_POINTER} when the object is closed
     */
    final long acquire() throws YztException {
        return state.acquire();
    }

    /** Counts a call out; frees the value if the object was closed meanwhile. */
    final void release() {
        state.release();
        // Keep this object (and so its cleaner) from being collected before the call is over.
        Reference.reachabilityFence(this);
    }

    /**
     * Whether {@link #close()} was called.
     *
     * @return true once closed
     */
    public final boolean isClosed() {
        return state.closed();
    }

    /** Frees the native value (wiping secrets) once no call is using it. Idempotent. */
    @Override
    public final void close() {
        cleanable.clean();
    }

    /**
     * The state shared with the cleaner: the handle, and a count of calls in flight whose top
     * bit says "closed". It must not refer to the owning object.
     */
    private static final class State implements Runnable {
        private static final long CLOSED = Long.MIN_VALUE;

        private final long handle;
        private final LongToIntFunction free;
        private final String kind;
        private final AtomicLong uses = new AtomicLong();

        State(long handle, LongToIntFunction free, String kind) {
            this.handle = handle;
            this.free = free;
            this.kind = kind;
        }

        long acquire() throws YztException {
            for (;;) {
                long s = uses.get();
                if ((s & CLOSED) != 0) {
                    throw new YztException(ResultCode.NULL_POINTER, kind + " is closed");
                }
                if (uses.compareAndSet(s, s + 1)) {
                    return handle;
                }
            }
        }

        void release() {
            if (uses.decrementAndGet() == CLOSED) {
                free.applyAsInt(handle);
            }
        }

        boolean closed() {
            return (uses.get() & CLOSED) != 0;
        }

        /** Close: by {@code close()} or by the cleaner, at most once (Cleanable guarantees it). */
        @Override
        public void run() {
            long s = uses.getAndUpdate(v -> v | CLOSED);
            if (s == 0) { // was open with no call in flight
                free.applyAsInt(handle);
            }
        }
    }
}
