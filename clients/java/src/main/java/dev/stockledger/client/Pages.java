package dev.stockledger.client;

import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.function.Function;

/** A lazy iterator over every page of a listing: the next page is fetched when the last runs out. */
final class Pages<T> implements Iterator<T> {
  /** One page: its entries, converted, and the cursor of the next (empty after the last). */
  record Page<T>(List<T> entries, String cursor) {}

  private final Function<String, Page<T>> fetch;
  private Iterator<T> page = List.<T>of().iterator();
  private String cursor;
  private boolean last;

  /** Fetches with {@code fetch(cursor)} from {@code firstCursor} (empty: the beginning). */
  Pages(String firstCursor, Function<String, Page<T>> fetch) {
    this.cursor = firstCursor;
    this.fetch = fetch;
  }

  @Override
  public boolean hasNext() {
    while (!page.hasNext() && !last) {
      Page<T> next = fetch.apply(cursor);
      page = next.entries().iterator();
      cursor = next.cursor();
      last = cursor.isEmpty();
    }
    return page.hasNext();
  }

  @Override
  public T next() {
    if (!hasNext()) {
      throw new NoSuchElementException();
    }
    return page.next();
  }
}
