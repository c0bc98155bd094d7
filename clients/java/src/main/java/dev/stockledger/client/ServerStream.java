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

/**
 * The messages of a server-streaming call, read as a blocking {@link Iterator}.
 *
 * <p>{@link #hasNext()} waits for the next message and returns false when the server ends the
 * stream; a failed stream throws {@link StockledgerException}. {@link #next(Duration)} waits at
 * most a given time, so a reader of an endless feed (the watches) never hangs. {@link #close()}
 * cancels the call; use try-with-resources. Flow control is kept: at most {@value #PREFETCH}
 * messages are buffered ahead of the reader.
 */
public final class ServerStream<T> implements Iterator<T>, AutoCloseable {
  static final int PREFETCH = 16;

  private record Closed(Status status, Metadata trailers) {}

  private final ClientCall<?, T> call;
  private final BlockingQueue<Object> queue = new LinkedBlockingQueue<>();
  private final CountDownLatch started = new CountDownLatch(1);
  private final Object callLock = new Object();
  private volatile boolean cancelledByUs;
  private volatile Closed closedBeforeStart;

  // Reader state (the reading thread only).
  private T head;
  private boolean ended;
  private StockledgerException failure;

  private ServerStream(ClientCall<?, T> call) {
    this.call = call;
  }

  static <Q, T> ServerStream<T> start(
      Channel channel, MethodDescriptor<Q, T> method, CallOptions options, Q request) {
    ClientCall<Q, T> call = channel.newCall(method, options);
    ServerStream<T> stream = new ServerStream<>(call);
    call.start(stream.new Listener(), new Metadata());
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

  private final class Listener extends ClientCall.Listener<T> {
    @Override
    public void onHeaders(Metadata headers) {
      started.countDown();
    }

    @Override
    public void onMessage(T message) {
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
   * The next message, waiting at most {@code timeout}: empty if none arrived in time.
   *
   * @throws NoSuchElementException if the stream has ended
   * @throws StockledgerException if the stream failed
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

  @SuppressWarnings("unchecked")
  private boolean accept(Object item) {
    if (item instanceof Closed closed) {
      ended = true;
      if (closed.status().isOk() || cancelledByUs) {
        return false;
      }
      failure = StockledgerException.from(closed.status(), closed.trailers());
      throw failure;
    }
    head = (T) item;
    synchronized (callLock) {
      call.request(1);
    }
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
