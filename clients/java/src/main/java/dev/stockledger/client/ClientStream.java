package dev.stockledger.client;

import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * A client-streaming call made blocking: sends messages as fast as the transport takes them
 * (waiting while it is not ready, so a long import never piles up in memory), closes the stream,
 * and waits for the single answer. A failure, the server's or the transport's, is a {@link
 * StockledgerException}; when the server ends the call early, the messages not yet sent are not
 * sent.
 */
final class ClientStream {
  private ClientStream() {}

  /**
   * Runs the call {@code start} begins (an async stub's method, e.g. {@code
   * stub::importInventoryChanges}) with {@code messages} and returns its answer.
   */
  static <Q, R> R send(Function<StreamObserver<R>, StreamObserver<Q>> start, List<Q> messages) {
    CompletableFuture<R> answer = new CompletableFuture<>();
    Semaphore readiness = new Semaphore(0);
    ClientResponseObserver<Q, R> observer =
        new ClientResponseObserver<>() {
          private R response;

          @Override
          public void beforeStart(ClientCallStreamObserver<Q> requests) {
            requests.setOnReadyHandler(readiness::release);
          }

          @Override
          public void onNext(R value) {
            response = value;
          }

          @Override
          public void onError(Throwable t) {
            answer.completeExceptionally(t);
          }

          @Override
          public void onCompleted() {
            if (response != null) {
              answer.complete(response);
            } else {
              answer.completeExceptionally(
                  Status.INTERNAL
                      .withDescription("the server closed the call without an answer")
                      .asRuntimeException());
            }
          }
        };
    @SuppressWarnings("unchecked")
    ClientCallStreamObserver<Q> requests = (ClientCallStreamObserver<Q>) start.apply(observer);
    try {
      for (Q message : messages) {
        while (!requests.isReady() && !answer.isDone()) {
          readiness.tryAcquire(50, TimeUnit.MILLISECONDS);
        }
        if (answer.isDone()) {
          break; // the server ended the call: its answer or error says why
        }
        requests.onNext(message);
      }
      if (!answer.isDone()) {
        requests.onCompleted();
      }
      return answer.get();
    } catch (InterruptedException e) {
      requests.cancel("interrupted", e);
      Thread.currentThread().interrupt();
      throw StockledgerException.from(
          Status.CANCELLED.withDescription("interrupted").withCause(e).asRuntimeException());
    } catch (ExecutionException e) {
      throw StockledgerException.from(e.getCause());
    } catch (RuntimeException e) {
      requests.cancel("the client failed while sending", e);
      throw e;
    }
  }
}
