(* DdslBase: byte-level encoding for the DDSL Coq mirror, and the lemmas
   that make each fixed-layout struct's round trip a sequence of rewrites.
   Bytes and fields are N; a field of n bytes is little-endian. *)

Require Import Coq.NArith.NArith Coq.Lists.List Lia.
Import ListNotations.
Local Open Scope N_scope.

Definition ddsl_bound (n : nat) : N := 2 ^ (8 * N.of_nat n).

Fixpoint put_le (n : nat) (w : N) : list N :=
  match n with
  | O => []
  | S k => (w mod 256) :: put_le k (w / 256)
  end.

Fixpoint get_le (n : nat) (bs : list N) : option (N * list N) :=
  match n with
  | O => Some (0, bs)
  | S k =>
      match bs with
      | [] => None
      | b :: rest =>
          match get_le k rest with
          | None => None
          | Some (w, rest') => Some (b + 256 * w, rest')
          end
      end
  end.

Lemma get_put_le : forall n w rest, w < ddsl_bound n -> get_le n (put_le n w ++ rest) = Some (w, rest).
Proof.
  unfold ddsl_bound. induction n as [|k IH]; intros w rest H.
  - simpl in *. f_equal. f_equal. lia.
  - cbn [put_le get_le app]. rewrite IH.
    + f_equal. f_equal. pose proof (N.div_mod w 256 ltac:(lia)). lia.
    + apply N.div_lt_upper_bound; [lia|].
      replace (8 * N.of_nat (S k)) with (8 + 8 * N.of_nat k) in H by lia.
      rewrite N.pow_add_r in H. exact H.
Qed.

Fixpoint put_arr (n : nat) (xs : list N) : list N :=
  match xs with
  | [] => []
  | x :: r => put_le n x ++ put_arr n r
  end.

Fixpoint get_arr (n k : nat) (bs : list N) : option (list N * list N) :=
  match k with
  | O => Some ([], bs)
  | S j =>
      match get_le n bs with
      | None => None
      | Some (x, r) =>
          match get_arr n j r with
          | None => None
          | Some (xs, r') => Some (x :: xs, r')
          end
      end
  end.

Lemma get_put_arr : forall n k xs rest,
  length xs = k -> Forall (fun x => x < ddsl_bound n) xs ->
  get_arr n k (put_arr n xs ++ rest) = Some (xs, rest).
Proof.
  intros n k xs. revert k. induction xs as [|x r IH]; intros k rest Hl Hf; subst k.
  - reflexivity.
  - inversion Hf; subst. simpl. rewrite <- app_assoc, get_put_le by assumption.
    rewrite IH by (reflexivity || assumption). reflexivity.
Qed.

Definition put_pad (k : nat) : list N := repeat 0 k.

Fixpoint get_pad (k : nat) (bs : list N) : option (list N) :=
  match k with
  | O => Some bs
  | S j => match bs with [] => None | _ :: r => get_pad j r end
  end.

Lemma get_put_pad : forall k rest, get_pad k (put_pad k ++ rest) = Some rest.
Proof. induction k; simpl; auto. Qed.

Example put_le_4 : put_le 4 258 = [2; 1; 0; 0] := eq_refl.
