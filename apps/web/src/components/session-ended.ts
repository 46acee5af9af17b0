import { useEffect, useRef, useState } from 'react';
import { onSignedOut, type Person } from '../api/api-client.js';

/**
 * What the sign-in page says when the API ended a signed-in person's session (expired, or ended
 * elsewhere): null after a sign-out of their own, and on a first visit.
 */
export function useSessionEnded(person: Person | null | undefined): string | null {
  const [ended, setEnded] = useState(false);
  const signedIn = useRef(false);
  useEffect(() => {
    signedIn.current = Boolean(person);
    if (person) setEnded(false);
  }, [person]);
  // Told before the person is gone from the page: `signedIn` still says whether someone was.
  useEffect(() => onSignedOut(() => signedIn.current && setEnded(true)), []);
  return ended ? 'Your session has ended: sign in again to carry on.' : null;
}
