/**
 * Runs tasks with the same key one after another, tasks with different keys side by side. Sends to one
 * conversation handled by the same function instance queue here instead of colliding on the same
 * sequence number in DynamoDB (each collision costs a round of reads); instances still coordinate
 * through the conditional write.
 */
export class KeyedQueue {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const result = previous.then(task, task);
    const tail = result.catch(() => undefined);
    this.tails.set(key, tail);
    // Forget the key once its queue is empty, so the map does not grow with every conversation.
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }
}
