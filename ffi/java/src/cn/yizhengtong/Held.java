package cn.yizhengtong;

import java.util.ArrayList;
import java.util.List;

/**
 * The handles one call uses, counted in for the call and out at the end (try-with-resources).
 * A {@code null} object is passed to the library as handle 0, which it refuses with {@link
 * ResultCode#NULL_POINTER} and a message naming the argument.
 */
final class Held implements AutoCloseable {
    private final List<NativeHandle> held = new ArrayList<>();

    /**
     * Counts a call into {@code h}.
     *
     * @param h the object, or null
     * @return its handle, or 0 for null
     * @throws YztException when {@code h} is closed
     */
    long hold(NativeHandle h) throws YztException {
        if (h == null) {
            return 0;
        }
        long v = h.acquire();
        held.add(h);
        return v;
    }

    /**
     * Counts a call into each element of {@code list}.
     *
     * @param list the objects, or null for none
     * @return their handles (0 for a null element), or null for a null list
     * @throws YztException when one is closed
     */
    long[] holdAll(List<? extends NativeHandle> list) throws YztException {
        if (list == null) {
            return null;
        }
        long[] hs = new long[list.size()];
        for (int i = 0; i < hs.length; i++) {
            hs[i] = hold(list.get(i));
        }
        return hs;
    }

    @Override
    public void close() {
        for (NativeHandle h : held) {
            h.release();
        }
        held.clear();
    }
}
