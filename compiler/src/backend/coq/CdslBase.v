(* CdslBase: the value semantics of CDSL's primitive operations, for the
   shallow embedding `cdsl build --emit coq` generates. Copied verbatim
   next to every generated module; do not edit the copies.

   A word of n bits is an N below 2^n; every operation takes the width
   first and wraps as the interpreters do: x / 0 = x mod 0 = 0, a shift by
   n or more gives 0, `&&` and `||` are andb and orb (both sides are
   evaluated, which in a pure semantics is the same thing). *)

Require Import Coq.NArith.NArith.
Require Import Coq.Bool.Bool.
Require Export Coq.Strings.String.

Local Open Scope N_scope.

Definition cdsl_wrap (n x : N) : N := N.modulo x (N.pow 2 n).

Definition cdsl_add (n a b : N) : N := cdsl_wrap n (a + b).
Definition cdsl_sub (n a b : N) : N := cdsl_wrap n (cdsl_wrap n a + N.pow 2 n - cdsl_wrap n b).
Definition cdsl_mul (n a b : N) : N := cdsl_wrap n (a * b).
Definition cdsl_div (n a b : N) : N := if N.eqb b 0 then 0 else N.div a b.
Definition cdsl_mod (n a b : N) : N := if N.eqb b 0 then 0 else N.modulo a b.

Definition cdsl_and (n a b : N) : N := N.land a b.
Definition cdsl_or (n a b : N) : N := N.lor a b.
Definition cdsl_xor (n a b : N) : N := N.lxor a b.
Definition cdsl_complement (n a : N) : N := N.pow 2 n - 1 - cdsl_wrap n a.
Definition cdsl_shl (n a b : N) : N := if N.leb n b then 0 else cdsl_wrap n (N.shiftl a b).
Definition cdsl_shr (n a b : N) : N := if N.leb n b then 0 else N.shiftr a b.

Definition cdsl_eq (a b : N) : bool := N.eqb a b.
Definition cdsl_ne (a b : N) : bool := negb (N.eqb a b).
Definition cdsl_lt (a b : N) : bool := N.ltb a b.
Definition cdsl_le (a b : N) : bool := N.leb a b.
Definition cdsl_gt (a b : N) : bool := N.ltb b a.
Definition cdsl_ge (a b : N) : bool := N.leb b a.

(* The world, threaded linearly: it carries nothing a program can see. *)
Definition cdsl_SysState : Type := unit.

(* Sanity checks of the wrapping rules, by computation. *)
Example cdsl_sub_wraps : cdsl_sub 8 0 1 = 255 := eq_refl.
Example cdsl_div_zero : cdsl_div 32 7 0 = 0 := eq_refl.
Example cdsl_mod_zero : cdsl_mod 32 7 0 = 0 := eq_refl.
Example cdsl_shl_wide : cdsl_shl 32 1 32 = 0 := eq_refl.
Example cdsl_shl_wraps : cdsl_shl 8 255 1 = 254 := eq_refl.
Example cdsl_complement_8 : cdsl_complement 8 1 = 254 := eq_refl.

(* The runtime's value-semantics models (runtime/src/library.rs), used by
   generated modules for the abstract functions of those names. *)

(* A word array is a list; lengths stay far below 2^32. *)
Definition cdsl_WordArray (A : Type) : Type := list A.

Definition cdsl_wa_length {A : Type} (xs : list A) : N := N.of_nat (List.length xs).

(* Out of range reads give the element type's zero, as the runtime does. *)
Definition cdsl_wa_get {A : Type} (zero : A) (xs : list A) (i : N) : A :=
  if N.ltb i (cdsl_wa_length xs) then List.nth (N.to_nat i) xs zero else zero.

(* `Some` the updated array, `None` when the index is out of range. *)
Definition cdsl_wa_put {A : Type} (xs : list A) (i : N) (v : A) : option (list A) :=
  if N.ltb i (cdsl_wa_length xs)
  then Some (List.firstn (N.to_nat i) xs ++ v :: List.skipn (S (N.to_nat i)) xs)%list
  else None.

(* Arrays above 2^24 elements fail to allocate (MAX_ARRAY_LEN). *)
Definition cdsl_wa_create {A : Type} (zero : A) (len : N) : option (list A) :=
  if N.ltb (N.pow 2 24) len then None else Some (List.repeat zero (N.to_nat len)).

(* seq32/seq64: idx = frm, frm + step, .. while idx < to (a step of 0 is
   1); bounded iteration, binary in the count so it never builds a unary
   number. *)
Definition cdsl_seq {A : Type} (frm to step : N) (f : A -> N -> A) (acc : A) : A :=
  let step := N.max step 1 in
  let count := if N.leb to frm then 0 else N.div (to - frm + step - 1) step in
  snd (N.iter count (fun p => let '(idx, a) := p in (idx + step, f a idx)) (frm, acc)).

Example cdsl_seq_sums : cdsl_seq 0 5 1 (fun a i => a + i) 0 = 10 := eq_refl.
Example cdsl_seq_steps : cdsl_seq 1 10 4 (fun a i => a * 10 + i) 0 = 159 := eq_refl.
Example cdsl_wa_get_out : cdsl_wa_get 0 (1 :: 2 :: nil)%list 4294967295 = 0 := eq_refl.
