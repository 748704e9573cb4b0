import type { User } from "oidc-client-ts";
import { useEffect, useState } from "react";

import { users } from "./auth";

/** The signed-in user (null when signed out), kept current across silent renews and sign-outs. */
export function useUser(): User | null {
  const [user, setUser] = useState<User | null>(null);
  useEffect(() => {
    let live = true;
    void users.getUser().then((u) => {
      if (live) setUser(u && !u.expired ? u : null);
    });
    const loaded = (u: User) => {
      setUser(u);
    };
    const gone = () => {
      setUser(null);
    };
    users.events.addUserLoaded(loaded);
    users.events.addUserUnloaded(gone);
    users.events.addAccessTokenExpired(gone);
    return () => {
      live = false;
      users.events.removeUserLoaded(loaded);
      users.events.removeUserUnloaded(gone);
      users.events.removeAccessTokenExpired(gone);
    };
  }, []);
  return user;
}
