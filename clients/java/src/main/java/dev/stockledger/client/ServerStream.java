package dev.stockledger.client;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import java.time.Duration;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * The messages of a server-streaming call: a blocking {@link Iterator} that is also {@link
 * Iterable} (once) and {@link AutoCloseable}, so that a for-each loop in a try-with-resources
 * reads it to its end:
 *
 * <pre>{@code
 * try (var history = client.streamChanges(request)) {
 *   for (var streamed : history) {
 *     System.out.println(streamed.change().quantity());
 *   }
 * }
 * }</pre>
 *
 * <p>{@link #hasNext()} waits for the next message and returns false when the server ends the
 * stream; a failed stream throws {@link StockledgerException}. {@link #next(Duration)} waits at
 * most a given time and returns an {@link Optional} (empty: nothing arrived in time, the stream
 * is still open), so a reader of an endless feed (the watches) never hangs. {@link #close()}
 * cancels the call. Flow control is kept: at most {@value #PREFETCH} messages are buffered ahead
 * of the reader. One thread reads a stream; {@link #close()} may come from any thread.
 */
public final class ServerStream<T> implements Iterator<T>, Iterable<T>, AutoCloseable {
  static final int PREFETCH = 16;

  private record Closed(Status status, Metadata trailers) {}

  private final ClientCall<?, ?> call;
  private final Function<Object, T> fromWire;
  private final BlockingQueue<Object> queue = new LinkedBlockingQueue<>();
  private final CountDownLatch started = new CountDownLatch(1);
  private final Object callLock = new Object();
  private volatile boolean cancelledByUs;
  private volatile Closed closedBeforeStart;

  // Reader state (the reading thread only).
  private T head;
  private boolean ended;
  private boolean iterated;
  private StockledgerException failure;

  @SuppressWarnings("unchecked")
  private <R> ServerStream(ClientCall<?, R> call, Function<R, T> fromWire) {
    this.call = call;
    this.fromWire = message -> fromWire.apply((R) message);
  }

  /** Starts the call; each message the server sends is read as {@code fromWire} makes it. */
  static <Q, R, T> ServerStream<T> start(
      Channel channel,
      MethodDescriptor<Q, R> method,
      CallOptions options,
      Q request,
      Function<R, T> fromWire) {
    ClientCall<Q, R> call = channel.newCall(method, options);
    ServerStream<T> stream = new ServerStream<>(call, fromWire);
    call.start(stream.new Listener<R>(), new Metadata());
    try {
      call.sendMessage(request);
      call.halfClose();
      call.request(PREFETCH);
    } catch (RuntimeException | Error e) {
      call.cancel("failed to start", e);
      throw e;
    }
    return stream;
  }

  private final class Listener<R> extends ClientCall.Listener<R> {
    @Override
    public void onHeaders(Metadata headers) {
      started.countDown();
    }

    @Override
    public void onMessage(R message) {
      queue.add(message);
    }

    @Override
    public void onClose(Status status, Metadata trailers) {
      Closed closed = new Closed(status, trailers);
      if (started.getCount() > 0) {
        closedBeforeStart = closed;
      }
      queue.add(closed);
      started.countDown();
    }
  }

  /**
   * Waits until the server has established the stream (its response headers arrived). For a
   * watch from {@code WATCH_START_NOW}, every change committed after this returns is delivered.
   *
   * @return false if that did not happen within {@code timeout}
   * @throws StockledgerException if the server refused the call
   */
  public boolean awaitStarted(Duration timeout) {
    boolean done;
    try {
      done = started.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
    } catch (InterruptedException e) {
      throw interrupted(e);
    }
    Closed early = closedBeforeStart;
    if (early != null && !early.status().isOk() && !cancelledByUs) {
      throw StockledgerException.from(early.status(), early.trailers());
    }
    return done;
  }

  /**
   * This stream, for a for-each loop; a stream is read once, so a second call throws.
   *
   * @throws IllegalStateException if called before on this stream
   */
  @Override
  public Iterator<T> iterator() {
    if (iterated) {
      throw new IllegalStateException("a ServerStream is read once: iterator() was already called");
    }
    iterated = true;
    return this;
  }

  /** Waits for the next message; false once the server ended the stream (or it was closed). */
  @Override
  public boolean hasNext() {
    if (head != null) {
      return true;
    }
    if (failure != null) {
      throw failure;
    }
    if (ended) {
      return false;
    }
    Object item;
    try {
      item = queue.take();
    } catch (InterruptedException e) {
      throw interrupted(e);
    }
    return accept(item);
  }

  @Override
  public T next() {
    if (!hasNext()) {
      throw new NoSuchElementException("the stream has ended");
    }
    T message = head;
    head = null;
    return message;
  }

  /**
   * The next message, waiting at most {@code timeout} for it; never blocks longer, so it suits
   * the watches, which never end by themselves.
   *
   * @return the next message, or {@link Optional#empty()} if none arrived within {@code timeout}
   *     (the stream is still open: call again to keep waiting)
   * @throws NoSuchElementException if the stream has ended (the server finished it, or it was
   *     closed); {@link #hasNext()} tells that apart without waiting once it has ended
   * @throws StockledgerException if the stream failed (the server's refusal or a lost connection)
   */
  public Optional<T> next(Duration timeout) {
    if (head == null && failure == null && !ended) {
      Object item;
      try {
        item = queue.poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
      } catch (InterruptedException e) {
        throw interrupted(e);
      }
      if (item == null) {
        return Optional.empty();
      }
      accept(item);
    }
    return Optional.of(next());
  }

  private boolean accept(Object item) {
    if (item instanceof Closed closed) {
      ended = true;
      if (closed.status().isOk() || cancelledByUs) {
        return false;
      }
      failure = StockledgerException.from(closed.status(), closed.trailers());
      throw failure;
    }
    synchronized (callLock) {
      call.request(1);
    }
    head = fromWire.apply(item);
    return true;
  }

  private StockledgerException interrupted(InterruptedException e) {
    Thread.currentThread().interrupt();
    close();
    return StockledgerException.from(
        Status.CANCELLED.withDescription("interrupted while waiting for the stream").withCause(e)
            .asRuntimeException());
  }

  /** Cancels the call (nothing happens if it already ended). Further reads report the end. */
  @Override
  public void close() {
    cancelledByUs = true;
    synchronized (callLock) {
      call.cancel("closed by the client", null);
    }
  }
}
