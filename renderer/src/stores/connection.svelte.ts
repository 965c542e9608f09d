// Web mode only: whether the studio server is still there. Once it is gone the page cannot get
// it back (a restarted server has a new access token), so the page says what to do instead.
class Connection {
  lost = $state(false);

  markLost() {
    this.lost = true;
  }
}

export const connection = new Connection();
